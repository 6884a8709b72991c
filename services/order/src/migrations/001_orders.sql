-- Orders and their lines. The outbox and inbox tables come from @mercato/messaging
-- (MESSAGING_MIGRATIONS); an order and the event announcing it are written in one transaction.
CREATE TABLE orders (
  id              uuid PRIMARY KEY,
  customer_id     text NOT NULL,
  status          text NOT NULL CHECK (status IN ('PENDING_PAYMENT', 'PAID', 'CANCELLED', 'REFUNDED')),
  status_reason   text NOT NULL DEFAULT '',
  total_minor     bigint NOT NULL CHECK (total_minor >= 0),
  currency        char(3) NOT NULL,
  payment_token   text NOT NULL,
  idempotency_key text NOT NULL,
  -- SHA-256 of the creating request: the same key with another request is refused.
  request_hash    text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_idempotency_key UNIQUE (customer_id, idempotency_key)
);

CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, id);

CREATE TABLE order_lines (
  order_id         uuid NOT NULL REFERENCES orders (id),
  line_no          integer NOT NULL,
  product_id       text NOT NULL,
  sku              text NOT NULL,
  name             text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (order_id, line_no)
);
