import { z } from 'zod';
import { plainText } from '@mercato/contracts';
import { DEMO_CUSTOMER_IDS } from '@mercato/contracts/demo';

// One set of zod schemas validates requests and generates the OpenAPI document, so the
// document cannot drift from what the gateway accepts and returns.

const pageSize = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .optional()
  .describe('Items per page, 1–100 (default 20)');
const pageToken = plainText(200)
  .optional()
  .describe('nextPageToken of the previous page; omit for the first page');

/** An amount of money: integer minor units (cents) and an ISO 4217 currency. */
export const moneySchema = z.object({
  amountMinor: z.number().int().describe('Amount in the minor unit, e.g. 1999 for EUR 19.99'),
  currency: z.string().length(3).describe('ISO 4217 code, e.g. EUR'),
});

export const productSchema = z.object({
  id: z.string(),
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  price: moneySchema,
  imageUrl: z.string(),
  stockAvailable: z.number().int().describe('Units that can be ordered now'),
});

export const listProductsQuery = z.object({
  pageSize,
  pageToken,
  category: plainText(100).optional().describe('Only products of this category'),
  q: plainText(200).optional().describe('Case-insensitive search in name, description and SKU'),
});

export const productPage = z.object({
  products: z.array(productSchema),
  nextPageToken: z.string().nullable().describe('Token of the next page; null on the last page'),
  totalSize: z.number().int().describe('Products matching the filter over all pages'),
});

export const productParams = z.object({
  productId: plainText(128).min(1).describe('Product id'),
});

export const categoryList = z.object({
  categories: z.array(z.object({ name: z.string(), productCount: z.number().int() })),
});

export const tokenRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('guest') }),
  z.object({
    kind: z.literal('customer'),
    customerId: z.enum(DEMO_CUSTOMER_IDS).describe('One of the demo customers'),
  }),
]);

export const tokenResponse = z.object({
  accessToken: z.string().describe('JWT for the Authorization: Bearer header'),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('Seconds until the token expires'),
  customerId: z.string().describe('Whom the token identifies (guest tokens get a fresh id)'),
});

export const ORDER_STATUSES = ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'REFUNDED'] as const;

export const orderSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  status: z.enum(ORDER_STATUSES),
  statusReason: z.string().describe('Why the order was cancelled or refunded; empty otherwise'),
  lines: z.array(
    z.object({
      productId: z.string(),
      sku: z.string(),
      name: z.string(),
      quantity: z.number().int(),
      unitPrice: moneySchema,
      lineTotal: moneySchema,
    }),
  ),
  total: moneySchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  traceId: z
    .string()
    .nullable()
    .describe(
      'W3C trace id of the checkout that placed the order, when it was traced: find the order’s trace in the trace backend (Jaeger); null otherwise',
    ),
  traceUrl: z
    .string()
    .nullable()
    .describe(
      'Where the order’s trace can be seen, when the gateway knows its trace UI (TRACE_UI_URL)',
    ),
});

export const createOrderBody = z.object({
  lines: z
    .array(
      z.object({
        productId: plainText(128).min(1),
        quantity: z.number().int().min(1).max(100),
      }),
    )
    .min(1)
    .max(50),
  paymentToken: plainText(256)
    .min(1)
    .describe('Payment-provider token of the card (test tokens: tok_success, tok_declined)'),
});

export const idempotencyHeaders = z.object({
  'Idempotency-Key': plainText(128)
    .min(1)
    .describe('Client-chosen key: a retry with the same key and body returns the same order'),
});

export const waitHeaders = z.object({
  Prefer: z
    .string()
    .max(200)
    .optional()
    .describe(
      'RFC 7240 `wait=<seconds>` (at most 20): while the order awaits payment, answer as soon as its payment outcome is known, or after that many seconds; the answer then carries `Preference-Applied`',
    ),
});

export const orderParams = z.object({
  orderId: z.uuid().describe('Order id'),
});

export const listOrdersQuery = z.object({ pageSize, pageToken });

export const orderPage = z.object({
  orders: z.array(orderSchema),
  nextPageToken: z.string().nullable().describe('Token of the next page; null on the last page'),
});

export const PAYMENT_STATUSES = ['SUCCEEDED', 'FAILED', 'REFUNDED'] as const;

export const paymentSchema = z.object({
  id: z.string(),
  orderId: z.string(),
  status: z.enum(PAYMENT_STATUSES),
  amount: moneySchema,
  failureCode: z.string().describe('e.g. card_declined; empty when the charge succeeded'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
