-- Every change to a product's price or available stock bumps its version, in the transaction that
-- makes the change, and product.changed.v1 carries it: a reader that caches products updates them
-- in place from the events and tells a late event (or a late read) from a newer one (D44).
ALTER TABLE products ADD COLUMN version bigint NOT NULL DEFAULT 1 CONSTRAINT products_version_positive CHECK (version > 0);
