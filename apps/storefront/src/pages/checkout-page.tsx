import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { cartTotal, EMPTY_CART, lineTotal, shortLines, type Cart } from '../cart/cart.js';
import { newIdempotencyKey } from '../orders/idempotency-key.js';
import { TEST_CARDS } from '../orders/test-cards.js';
import { hrefOf } from '../routing/routes.js';
import { Link, navigate } from '../routing/router.js';
import { displayName, isActive } from '../session/session.js';
import { useShop } from '../shop.js';
import { useStore } from '../state/use-store.js';
import { Choices } from '../ui/choices.js';
import { ErrorAlert, messageOf } from '../ui/feedback.js';
import { formatMoney } from '../ui/format.js';
import { PageHeading } from '../ui/page-heading.js';
import { reloadCartProducts } from './cart-page.js';

/** What an order request contains; the same content may reuse its Idempotency-Key. */
const requestSignature = (cart: Cart, paymentToken: string) =>
  JSON.stringify([cart.lines.map((line) => [line.productId, line.quantity]), paymentToken]);

/** Checkout: the order summary, a choice of test card, and placing the order. */
export function CheckoutPage() {
  const shop = useShop();
  const cart = useStore(shop.cart);
  const session = useStore(shop.session);
  const [paymentToken, setPaymentToken] = useState(TEST_CARDS[0]!.token);
  const [placing, setPlacing] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  // Kept across attempts with the same content: a retry after a lost response must not order twice.
  const attempt = useRef<{ signature: string; key: string } | undefined>(undefined);
  const signedIn = isActive(session);

  useEffect(() => {
    if (!signedIn) navigate(hrefOf({ page: 'sign-in', next: '/checkout' }), { replace: true });
  }, [signedIn]);
  if (!signedIn) return null;

  const total = cartTotal(cart);
  if (cart.lines.length === 0 || !total) {
    return (
      <div class="checkout">
        <PageHeading title="Checkout" />
        <p class="empty">
          Your cart is empty. <Link href="/">Browse the catalog</Link>
        </p>
      </div>
    );
  }
  const short = shortLines(cart);

  const placeOrder = async (event: SubmitEvent) => {
    event.preventDefault();
    const signature = requestSignature(cart, paymentToken);
    if (attempt.current?.signature !== signature)
      attempt.current = { signature, key: newIdempotencyKey() };
    setPlacing(true);
    setError(undefined);
    try {
      const order = await shop.api.placeOrder(
        cart.lines.map(({ productId, quantity }) => ({ productId, quantity })),
        paymentToken,
        attempt.current.key,
      );
      shop.cart.set(EMPTY_CART);
      navigate(hrefOf({ page: 'order', orderId: order.id }), { replace: true });
    } catch (failure) {
      setPlacing(false);
      setError(failure);
      if (!(failure instanceof ApiError)) return;
      if (failure.kind === 'unauthenticated') {
        shop.session.set(null);
        return;
      }
      // Only an unanswered request may be retried with its key; anything the shop refused needs a
      // changed request, which gets a new key.
      if (failure.kind !== 'unreachable' && failure.kind !== 'unavailable')
        attempt.current = undefined;
      if (failure.kind === 'conflict') await reloadCartProducts(shop).catch(() => undefined);
    }
  };

  const conflict = error instanceof ApiError && error.kind === 'conflict';

  return (
    <div class="checkout">
      <PageHeading title="Checkout" />
      <p class="muted">Ordering as {displayName(session)}.</p>
      {error !== undefined && (
        <ErrorAlert title="Your order was not placed.">
          <p>
            {conflict
              ? 'Some items are not available in the quantity you chose any more.'
              : messageOf(error)}
          </p>
          {conflict && (
            <p>
              <Link href="/cart">Review your cart</Link> to adjust the quantities.
            </p>
          )}
        </ErrorAlert>
      )}
      <form class="checkout__layout" onSubmit={(event) => void placeOrder(event)}>
        <section class="panel" aria-labelledby="summary-heading">
          <h2 id="summary-heading">Order summary</h2>
          <ul class="summary-lines">
            {cart.lines.map((line) => (
              <li key={line.productId}>
                <span>
                  {line.quantity} × {line.name}
                </span>
                <span>{formatMoney(lineTotal(line))}</span>
              </li>
            ))}
          </ul>
          <p class="summary-total">
            <span>Total</span>
            <span>{formatMoney(total)}</span>
          </p>
          <p>
            <Link href="/cart">Change the cart</Link>
          </p>
        </section>
        <section class="panel" aria-labelledby="payment-heading">
          <h2 id="payment-heading">Payment</h2>
          <Choices
            legend="Test card"
            name="paymentToken"
            choices={TEST_CARDS.map((card) => ({
              value: card.token,
              label: (
                <>
                  {card.label}
                  <span class="choice__hint">
                    {card.outcome} <code>{card.token}</code>
                  </span>
                </>
              ),
            }))}
            selected={paymentToken}
            onSelect={setPaymentToken}
          />
          {short.length > 0 && (
            <p class="field-error">
              Some items are not available in the quantity you chose.{' '}
              <Link href="/cart">Review your cart</Link>
            </p>
          )}
          <button
            type="submit"
            class="button button--primary button--block"
            disabled={placing || short.length > 0}
          >
            {placing ? 'Placing your order…' : `Place order (${formatMoney(total)})`}
          </button>
        </section>
      </form>
    </div>
  );
}
