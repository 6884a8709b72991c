import { describe, expect, it } from '@jest/globals';
import type { Product } from '../api/types.js';
import {
  addToCart,
  cartTotal,
  EMPTY_CART,
  itemCount,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  parseCart,
  refreshCart,
  removeFromCart,
  setQuantity,
  shortLines,
} from './cart.js';

const product = (id: string, overrides: Partial<Product> = {}): Product => ({
  id,
  sku: `SKU-${id}`,
  name: `Product ${id}`,
  description: '',
  category: 'kitchen',
  price: { amountMinor: 1450, currency: 'EUR' },
  imageUrl: '',
  stockAvailable: 10,
  ...overrides,
});

describe('cart', () => {
  it('adds a product as a line and adds to the line when it is added again', () => {
    const once = addToCart(EMPTY_CART, product('a'));
    const twice = addToCart(once, product('a'), 2);
    expect(once.lines).toHaveLength(1);
    expect(twice.lines).toHaveLength(1);
    expect(twice.lines[0]!.quantity).toBe(3);
    expect(itemCount(addToCart(twice, product('b')))).toBe(4);
  });

  it('never exceeds the API limits of units per line and lines per order', () => {
    const full = addToCart(EMPTY_CART, product('a'), MAX_LINE_QUANTITY + 5);
    expect(full.lines[0]!.quantity).toBe(MAX_LINE_QUANTITY);
    let many = EMPTY_CART;
    for (let index = 0; index < MAX_CART_LINES + 3; index += 1)
      many = addToCart(many, product(String(index)));
    expect(many.lines).toHaveLength(MAX_CART_LINES);
  });

  it('sets quantities, removing a line set to zero', () => {
    const cart = addToCart(addToCart(EMPTY_CART, product('a')), product('b'));
    expect(setQuantity(cart, 'a', 4).lines.map((line) => line.quantity)).toEqual([4, 1]);
    expect(setQuantity(cart, 'a', 0).lines.map((line) => line.productId)).toEqual(['b']);
    expect(removeFromCart(cart, 'b').lines.map((line) => line.productId)).toEqual(['a']);
  });

  it('sums lines in minor units', () => {
    const cart = addToCart(
      addToCart(EMPTY_CART, product('a'), 3),
      product('b', { price: { amountMinor: 999, currency: 'EUR' } }),
    );
    expect(cartTotal(cart)).toEqual({ amountMinor: 3 * 1450 + 999, currency: 'EUR' });
    expect(cartTotal(EMPTY_CART)).toBeUndefined();
  });

  it('refuses to sum a cart that mixes currencies', () => {
    const cart = addToCart(
      addToCart(EMPTY_CART, product('a')),
      product('b', { price: { amountMinor: 100, currency: 'USD' } }),
    );
    expect(() => cartTotal(cart)).toThrow('more than one currency');
  });

  it('takes fresh prices and stock from reloaded products and flags lines above the stock', () => {
    const cart = addToCart(addToCart(EMPTY_CART, product('a'), 5), product('b'), 2);
    const refreshed = refreshCart(cart, [
      product('a', { stockAvailable: 3, price: { amountMinor: 1500, currency: 'EUR' } }),
    ]);
    expect(refreshed.lines[0]).toMatchObject({ quantity: 5, stockAvailable: 3 });
    expect(refreshed.lines[0]!.unitPrice.amountMinor).toBe(1500);
    expect(refreshed.lines[1]).toEqual(cart.lines[1]);
    expect(shortLines(refreshed).map((line) => line.productId)).toEqual(['a']);
  });

  it('reads back what it stored, and anything else as an empty or cleaned cart', () => {
    const cart = addToCart(addToCart(EMPTY_CART, product('a'), 2), product('b'));
    expect(parseCart(JSON.stringify(cart))).toEqual(cart);
    expect(parseCart(null)).toEqual(EMPTY_CART);
    expect(parseCart('not json')).toEqual(EMPTY_CART);
    expect(parseCart('{"lines": 3}')).toEqual(EMPTY_CART);
    const tampered = {
      lines: [
        cart.lines[0],
        { ...cart.lines[1], quantity: -1 },
        { ...cart.lines[1], quantity: 1.5 },
        { productId: 'x' },
        cart.lines[0],
      ],
    };
    expect(parseCart(JSON.stringify(tampered))).toEqual({ lines: [cart.lines[0]] });
  });
});
