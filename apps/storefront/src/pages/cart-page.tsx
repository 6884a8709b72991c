import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { Product } from '../api/types.js';
import {
  cartTotal,
  lineTotal,
  MAX_LINE_QUANTITY,
  refreshCart,
  removeFromCart,
  setQuantity,
  shortLines,
  type Cart,
  type CartLine,
} from '../cart/cart.js';
import { hrefOf } from '../routing/routes.js';
import { Link, navigate } from '../routing/router.js';
import { useShop, type Shop } from '../shop.js';
import { useStore } from '../state/use-store.js';
import { announce } from '../ui/announcer.js';
import { formatMoney } from '../ui/format.js';
import { PageHeading } from '../ui/page-heading.js';
import { ProductImage } from '../ui/product-image.js';

/**
 * Loads every product of the cart again, so the page shows today's prices and stock. Products
 * that no longer exist are reported rather than silently dropped.
 */
export async function reloadCartProducts(
  shop: Shop,
  signal?: AbortSignal,
): Promise<{ missing: CartLine[] }> {
  const lines = shop.cart.get().lines;
  const results = await Promise.allSettled(
    lines.map((line) => shop.api.getProduct(line.productId, signal)),
  );
  const products: Product[] = [];
  const missing: CartLine[] = [];
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') products.push(result.value);
    else if (result.reason instanceof ApiError && result.reason.kind === 'not-found')
      missing.push(lines[index]!);
    else throw result.reason;
  });
  shop.cart.set(refreshCart(shop.cart.get(), products));
  return { missing };
}

function QuantityInput({
  line,
  onChange,
}: {
  line: CartLine;
  onChange: (quantity: number) => void;
}) {
  const id = `quantity-${line.productId}`;
  const short = line.quantity > line.stockAvailable;
  return (
    <div class="cart-line__quantity">
      <label for={id}>
        Quantity<span class="visually-hidden"> of {line.name}</span>
      </label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={1}
        max={MAX_LINE_QUANTITY}
        value={line.quantity}
        aria-invalid={short ? 'true' : undefined}
        aria-describedby={short ? `${id}-short` : undefined}
        onInput={(event) => {
          const value = Number(event.currentTarget.value);
          if (Number.isInteger(value) && value >= 1 && value <= MAX_LINE_QUANTITY) onChange(value);
        }}
        onBlur={(event) => {
          // An emptied or invalid field goes back to the quantity the cart holds.
          event.currentTarget.value = String(line.quantity);
        }}
      />
      {short && (
        <p id={`${id}-short`} class="field-error">
          {line.stockAvailable > 0
            ? `Only ${line.stockAvailable} left in stock. Lower the quantity to check out.`
            : 'Out of stock. Remove it to check out.'}
        </p>
      )}
    </div>
  );
}

function CartLineItem({ line, cart, shop }: { line: CartLine; cart: Cart; shop: Shop }) {
  return (
    <li class="cart-line">
      <ProductImage name={line.name} category={line.category} size="thumb" />
      <div class="cart-line__info">
        <h2 class="cart-line__name">
          <Link href={hrefOf({ page: 'product', productId: line.productId })}>{line.name}</Link>
        </h2>
        <p class="muted">{formatMoney(line.unitPrice)} each</p>
      </div>
      <QuantityInput
        line={line}
        onChange={(quantity) => shop.cart.set(setQuantity(cart, line.productId, quantity))}
      />
      <p class="cart-line__total">{formatMoney(lineTotal(line))}</p>
      <button
        type="button"
        class="button button--link"
        onClick={() => {
          shop.cart.set(removeFromCart(shop.cart.get(), line.productId));
          announce(`${line.name} removed from your cart.`);
        }}
      >
        Remove<span class="visually-hidden"> {line.name}</span>
      </button>
    </li>
  );
}

/** The cart: quantities, totals, stock warnings, and the way to checkout. */
export function CartPage() {
  const shop = useShop();
  const cart = useStore(shop.cart);
  const [refresh, setRefresh] = useState<'checking' | 'done' | 'failed'>('checking');
  const [missing, setMissing] = useState<CartLine[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    reloadCartProducts(shop, controller.signal).then(
      (result) => {
        if (controller.signal.aborted) return;
        setMissing(result.missing);
        setRefresh('done');
      },
      () => {
        if (!controller.signal.aborted) setRefresh('failed');
      },
    );
    return () => controller.abort();
  }, [shop]);

  const total = cartTotal(cart);
  const short = shortLines(cart);
  const canCheckOut = cart.lines.length > 0 && short.length === 0 && missing.length === 0;

  return (
    <div class="cart">
      <PageHeading title="Your cart" />
      {cart.lines.length === 0 ? (
        <div class="empty">
          <p>Your cart is empty.</p>
          <p>
            <Link class="button button--primary" href="/">
              Browse the catalog
            </Link>
          </p>
        </div>
      ) : (
        <div class="cart__layout">
          <section aria-label="Items in your cart">
            {refresh === 'failed' && (
              <p class="alert alert--warning">
                We could not check prices and stock just now; the order service checks them again
                when you place the order.
              </p>
            )}
            {missing.length > 0 && (
              <div class="alert alert--error" role="alert">
                <p class="alert__title">
                  {missing.map((line) => line.name).join(', ')}{' '}
                  {missing.length === 1 ? 'is' : 'are'} no longer sold.
                </p>
                <button
                  type="button"
                  class="button button--secondary"
                  onClick={() => {
                    let next = shop.cart.get();
                    for (const line of missing) next = removeFromCart(next, line.productId);
                    shop.cart.set(next);
                    setMissing([]);
                  }}
                >
                  Remove {missing.length === 1 ? 'it' : 'them'} from the cart
                </button>
              </div>
            )}
            <ul class="cart-lines">
              {cart.lines.map((line) => (
                <CartLineItem key={line.productId} line={line} cart={cart} shop={shop} />
              ))}
            </ul>
          </section>
          <aside class="summary" aria-label="Order summary">
            <h2>Summary</h2>
            <dl class="summary__totals">
              <dt>Subtotal</dt>
              <dd>{total ? formatMoney(total) : '—'}</dd>
              <dt>Shipping</dt>
              <dd>Free</dd>
            </dl>
            {short.length > 0 && (
              <p class="field-error" role="alert">
                Some items are not available in the quantity you chose.
              </p>
            )}
            <button
              type="button"
              class="button button--primary button--block"
              disabled={!canCheckOut}
              onClick={() => navigate('/checkout')}
            >
              Proceed to checkout
            </button>
            <p>
              <Link href="/">Continue shopping</Link>
            </p>
          </aside>
        </div>
      )}
    </div>
  );
}
