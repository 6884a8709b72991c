-- One payment per order (the natural idempotency key of the saga's charge step).
CREATE TABLE payments (
  id                 uuid PRIMARY KEY,
  order_id           uuid NOT NULL UNIQUE,
  customer_id        text NOT NULL,
  status             text NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED', 'REFUNDED')),
  amount_minor       bigint NOT NULL CHECK (amount_minor >= 0),
  currency           char(3) NOT NULL,
  provider_reference text NOT NULL DEFAULT '',
  failure_code       text NOT NULL DEFAULT '',
  refund_reference   text NOT NULL DEFAULT '',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The simulated payment provider's own ledger. A real provider keeps this on its side and
-- de-duplicates by idempotency key; keeping it in a table lets tests count the money that moved.
CREATE TABLE simulated_provider_ledger (
  idempotency_key text PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('charge', 'refund')),
  reference       text NOT NULL UNIQUE,
  outcome         text NOT NULL,
  amount_minor    bigint NOT NULL,
  currency        char(3) NOT NULL,
  attempts        integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now()
);
