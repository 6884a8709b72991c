import { z } from 'zod';

/**
 * Free text that travels into a service: bounded, and without control characters (PostgreSQL
 * rejects NUL in text, and nothing legitimate in an id, search, token or reason needs them). Every
 * API validates with it, so a caller that bypasses the gateway gets INVALID_ARGUMENT, not INTERNAL.
 */
export const plainText = (maxLength: number) =>
  z
    .string()
    .max(maxLength, `must be at most ${maxLength} characters`)
    // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
    .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters');

/**
 * Request lines (product id + quantity) as every API that takes them validates them: at least
 * one, within the caller's bounds, and no product twice. The messages name the rule broken, so
 * the field violations built from them read well in gRPC and HTTP errors alike.
 */
export function lineItemsSchema(bounds: { maxLines: number; maxQuantity: number }) {
  return z
    .array(
      z.object({
        productId: plainText(128).min(1, 'must not be empty'),
        quantity: z
          .number()
          .int()
          .min(1, 'must be at least 1')
          .max(bounds.maxQuantity, `must be at most ${bounds.maxQuantity}`),
      }),
    )
    .min(1, 'at least one line')
    .max(bounds.maxLines, `at most ${bounds.maxLines} lines`)
    .superRefine((lines, context) => {
      const seen = new Set<string>();
      lines.forEach((line, index) => {
        if (seen.has(line.productId)) {
          context.addIssue({
            code: 'custom',
            path: [index, 'productId'],
            message: 'appears in more than one line',
          });
        }
        seen.add(line.productId);
      });
    });
}
