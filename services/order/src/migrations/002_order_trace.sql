-- The W3C trace id of the checkout that placed the order, when that checkout was traced (sampled):
-- the storefront and the API show it, so a customer's "my order is stuck" leads to its trace.
-- Empty for orders placed without tracing, and for every order before this migration.
ALTER TABLE orders ADD COLUMN trace_id text NOT NULL DEFAULT ''
  CHECK (trace_id = '' OR trace_id ~ '^[0-9a-f]{32}$');
