import type { Money, Product } from '../api/types.js';

/** Most units of one product an order line may have (the API's limit). */
export const MAX_LINE_QUANTITY = 100;
/** Most lines one order may have (the API's limit). */
export const MAX_CART_LINES = 50;

/** A product in the cart, with what the shopper saw of it when it was last loaded. */
export interface CartLine {
  productId: string;
  name: string;
  sku: string;
  category: string;
  unitPrice: Money;
  quantity: number;
  /** Stock when the product was last loaded; the order service has the final word. */
  stockAvailable: number;
}

/** The shopper's cart. */
export interface Cart {
  lines: CartLine[];
}

/** A cart without lines. */
export const EMPTY_CART: Cart = { lines: [] };

const clampQuantity = (quantity: number) =>
  Math.min(MAX_LINE_QUANTITY, Math.max(0, Math.floor(quantity)));

const lineOf = (product: Product, quantity: number): CartLine => ({
  productId: product.id,
  name: product.name,
  sku: product.sku,
  category: product.category,
  unitPrice: product.price,
  quantity,
  stockAvailable: product.stockAvailable,
});

/** The cart with `quantity` more of the product (a new line, or added to its line). */
export function addToCart(cart: Cart, product: Product, quantity = 1): Cart {
  const existing = cart.lines.find((line) => line.productId === product.id);
  if (existing) {
    return {
      lines: cart.lines.map((line) =>
        line === existing ? lineOf(product, clampQuantity(line.quantity + quantity)) : line,
      ),
    };
  }
  if (cart.lines.length >= MAX_CART_LINES) return cart;
  const added = clampQuantity(quantity);
  return added > 0 ? { lines: [...cart.lines, lineOf(product, added)] } : cart;
}

/** The cart with the product's quantity set; zero removes the line. */
export function setQuantity(cart: Cart, productId: string, quantity: number): Cart {
  const next = clampQuantity(quantity);
  if (next === 0) return removeFromCart(cart, productId);
  return {
    lines: cart.lines.map((line) =>
      line.productId === productId ? { ...line, quantity: next } : line,
    ),
  };
}

/** The cart without the product. */
export const removeFromCart = (cart: Cart, productId: string): Cart => ({
  lines: cart.lines.filter((line) => line.productId !== productId),
});

/** The cart with names, prices and stock brought up to date from freshly loaded products. */
export function refreshCart(cart: Cart, products: readonly Product[]): Cart {
  const byId = new Map(products.map((product) => [product.id, product]));
  return {
    lines: cart.lines.map((line) => {
      const product = byId.get(line.productId);
      return product ? lineOf(product, line.quantity) : line;
    }),
  };
}

/** How many units the cart holds. */
export const itemCount = (cart: Cart): number =>
  cart.lines.reduce((count, line) => count + line.quantity, 0);

/** The price of a line. */
export const lineTotal = (line: CartLine): Money => ({
  amountMinor: line.unitPrice.amountMinor * line.quantity,
  currency: line.unitPrice.currency,
});

/**
 * The sum of the lines, or undefined for an empty cart. The catalog has one currency; a cart
 * that mixed currencies could not be summed, so that is an error rather than a wrong total.
 */
export function cartTotal(cart: Cart): Money | undefined {
  const [first] = cart.lines;
  if (!first) return undefined;
  let amountMinor = 0;
  for (const line of cart.lines) {
    if (line.unitPrice.currency !== first.unitPrice.currency)
      throw new Error('the cart holds more than one currency');
    amountMinor += lineTotal(line).amountMinor;
  }
  return { amountMinor, currency: first.unitPrice.currency };
}

/** Lines asking for more units than were in stock when last loaded. */
export const shortLines = (cart: Cart): CartLine[] =>
  cart.lines.filter((line) => line.quantity > line.stockAvailable);

const isMoney = (value: unknown): value is Money =>
  typeof value === 'object' &&
  value !== null &&
  Number.isInteger((value as Money).amountMinor) &&
  typeof (value as Money).currency === 'string';

function isCartLine(value: unknown): value is CartLine {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as Record<string, unknown>;
  return (
    typeof line.productId === 'string' &&
    typeof line.name === 'string' &&
    typeof line.sku === 'string' &&
    typeof line.category === 'string' &&
    isMoney(line.unitPrice) &&
    Number.isInteger(line.quantity) &&
    (line.quantity as number) >= 1 &&
    (line.quantity as number) <= MAX_LINE_QUANTITY &&
    Number.isInteger(line.stockAvailable)
  );
}

/**
 * A cart read back from storage. Storage outlives releases and can be edited by hand, so
 * anything that is not a well-formed cart is read as an empty one (and malformed lines are dropped).
 */
export function parseCart(stored: string | null): Cart {
  if (!stored) return EMPTY_CART;
  try {
    const value = JSON.parse(stored) as unknown;
    const lines = (value as { lines?: unknown } | null)?.lines;
    if (!Array.isArray(lines)) return EMPTY_CART;
    const seen = new Set<string>();
    const valid: CartLine[] = [];
    for (const line of lines) {
      if (!isCartLine(line) || seen.has(line.productId)) continue;
      seen.add(line.productId);
      valid.push(line);
    }
    return { lines: valid.slice(0, MAX_CART_LINES) };
  } catch {
    return EMPTY_CART;
  }
}
