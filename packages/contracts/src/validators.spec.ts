import { describe, expect, it } from '@jest/globals';
import { lineItemsSchema, plainText } from './validators.js';

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

describe('plainText', () => {
  const text = plainText(8);
  const problemsOf = (value: unknown) =>
    text.safeParse(value).error?.issues.map((issue) => issue.message) ?? [];

  it('accepts printable text, including non-ASCII', () => {
    expect(problemsOf('Zoë 😀 ok')).toEqual([]);
    expect(problemsOf('')).toEqual([]);
  });

  it.each(['a\u0000b', 'tab\there', 'line\n', '\u001b[31m', 'del\u007f'])(
    'refuses control characters in %j',
    (value) => {
      expect(problemsOf(value)).toEqual(['must not contain control characters']);
    },
  );

  it('refuses text over the bound and says the bound', () => {
    expect(problemsOf('123456789')).toEqual(['must be at most 8 characters']);
  });

  it('names the line whose product id carries a control character', () => {
    expect(problems([{ productId: 'prd\u0000', quantity: 1 }])).toEqual([
      '0.productId: must not contain control characters',
    ]);
  });
});
