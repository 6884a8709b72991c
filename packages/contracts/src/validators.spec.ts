import { describe, expect, it } from '@jest/globals';
import { lineItemsSchema } from './validators.js';

const lines = lineItemsSchema({ maxLines: 2, maxQuantity: 5 });
const problems = (value: unknown) =>
  lines
    .safeParse(value)
    .error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

describe('lineItemsSchema', () => {
  it('accepts lines within the bounds', () => {
    expect(
      problems([
        { productId: 'a', quantity: 5 },
        { productId: 'b', quantity: 1 },
      ]),
    ).toEqual([]);
  });

  it('names each broken rule by path', () => {
    expect(problems([])).toEqual([': at least one line']);
    expect(problems([{ productId: '', quantity: 0 }])).toEqual([
      '0.productId: must not be empty',
      '0.quantity: must be at least 1',
    ]);
    expect(problems([{ productId: 'a', quantity: 6 }])).toEqual(['0.quantity: must be at most 5']);
    expect(
      problems([
        { productId: 'a', quantity: 1 },
        { productId: 'a', quantity: 1 },
      ]),
    ).toEqual(['1.productId: appears in more than one line']);
    expect(
      problems([
        { productId: 'a', quantity: 1 },
        { productId: 'b', quantity: 1 },
        { productId: 'c', quantity: 1 },
      ]),
    ).toEqual([': at most 2 lines']);
  });
});
