import { z } from 'zod';

/**
 * Request lines (product id + quantity) as every API that takes them validates them: at least
 * one, within the caller's bounds, and no product twice. The messages name the rule broken, so
 * the field violations built from them read well in gRPC and HTTP errors alike.
 */
export function lineItemsSchema(bounds: { maxLines: number; maxQuantity: number }) {
  return z
    .array(
      z.object({
        productId: z.string().min(1, 'must not be empty').max(128),
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
