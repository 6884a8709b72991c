-- Catalog and stock. Prices are integer minor units; stock can never be oversold because
-- `reserved <= on_hand` is a constraint, and reservations only ever move stock under it.
CREATE TABLE products (
  id          text PRIMARY KEY,
  sku         text NOT NULL UNIQUE,
  name        text NOT NULL,
  description text NOT NULL,
  category    text NOT NULL,
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency    char(3) NOT NULL,
  image_url   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX products_category_idx ON products (category, name);

CREATE TABLE stock (
  product_id text PRIMARY KEY REFERENCES products (id),
  on_hand    integer NOT NULL CHECK (on_hand >= 0),
  reserved   integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  CONSTRAINT stock_not_oversold CHECK (reserved <= on_hand)
);

-- One reservation per order: the order id is the idempotency key of every stock call.
CREATE TABLE reservations (
  order_id   text PRIMARY KEY,
  status     text NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED', 'EXPIRED')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'RESERVED';

CREATE TABLE reservation_lines (
  order_id   text NOT NULL REFERENCES reservations (order_id),
  product_id text NOT NULL REFERENCES products (id),
  quantity   integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, product_id)
);
