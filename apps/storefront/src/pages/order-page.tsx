import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { Order } from '../api/types.js';
import {
  cancelAction,
  isSettled,
  nextPollDelay,
  ORDER_WAIT_SECONDS,
  reasonText,
  STATUS_LABELS,
} from '../orders/order-status.js';
import { hrefOf } from '../routing/routes.js';
import { Link, navigate, useCurrentHref } from '../routing/router.js';
import { isActive } from '../session/session.js';
import { useShop } from '../shop.js';
import { useResource } from '../state/use-resource.js';
import { useStore } from '../state/use-store.js';
import { ErrorAlert, LoadError, Loading, messageOf } from '../ui/feedback.js';
import { formatDateTime, formatMoney, shortOrderId } from '../ui/format.js';
import { PageHeading } from '../ui/page-heading.js';

/** A status as a coloured badge (the text carries the meaning; the colour only repeats it). */
export function StatusBadge({ status }: { status: Order['status'] }) {
  return <span class={`status status--${status.toLowerCase()}`}>{STATUS_LABELS[status]}</span>;
}

const STATUS_MESSAGES: Record<Order['status'], string> = {
  PENDING_PAYMENT: 'We are taking the payment. This page updates by itself.',
  PAID: 'Payment received. Thank you for your order!',
  CANCELLED: 'This order was cancelled. Nothing was charged.',
  REFUNDED: 'This order was cancelled and the payment refunded.',
};

/**
 * Asks for the order again while the payment is under way, until the saga settles it (PAID or
 * CANCELLED). One request at a time, each after the previous answer; it stops when the page goes.
 * Each request asks the gateway to answer when the payment outcome is known (`Prefer: wait`), so
 * the page shows it the moment it happens; after an answer that did not wait, it pauses first.
 */
function useOrderPolling(
  order: Order | undefined,
  onUpdate: (order: Order) => void,
  onUnauthenticated: () => void,
): { failures: number } {
  const { api } = useShop();
  const [failures, setFailures] = useState(0);
  // The first request goes at once; later ones too while the gateway keeps waiting.
  const [waited, setWaited] = useState(true);
  useEffect(() => {
    if (!order || isSettled(order.status)) return;
    const controller = new AbortController();
    const timer = setTimeout(
      () => {
        api.awaitOrder(order.id, ORDER_WAIT_SECONDS, controller.signal).then(
          (next) => {
            setFailures(0);
            setWaited(next.waited);
            onUpdate(next.order);
          },
          (error: unknown) => {
            if (controller.signal.aborted) return;
            if (error instanceof ApiError && error.kind === 'unauthenticated') onUnauthenticated();
            else setFailures((count) => count + 1);
          },
        );
      },
      waited && failures === 0 ? 0 : nextPollDelay(failures),
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
    // A new answer (even with the same status) or a new failure schedules the next request.
  }, [order, failures]);
  return { failures };
}

function CancelOrder({
  order,
  onCancelled,
}: {
  order: Order;
  onCancelled: (order: Order) => void;
}) {
  const { api } = useShop();
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const action = cancelAction(order.status);
  if (!action) return null;
  const cancel = async () => {
    setCancelling(true);
    setError(undefined);
    try {
      onCancelled(await api.cancelOrder(order.id));
    } catch (failure) {
      setError(failure);
    } finally {
      setCancelling(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="cancel-heading">
      <h2 id="cancel-heading">Changed your mind?</h2>
      <p>{action.explanation}</p>
      {error !== undefined && (
        <ErrorAlert title="The order was not cancelled.">
          <p>{messageOf(error)}</p>
        </ErrorAlert>
      )}
      <button
        type="button"
        class="button button--danger"
        disabled={cancelling}
        onClick={() => void cancel()}
      >
        {cancelling ? 'Cancelling…' : action.label}
      </button>
    </section>
  );
}

function OrderDetails({ order }: { order: Order }) {
  return (
    <table class="order-lines">
      <caption class="visually-hidden">Items of the order</caption>
      <thead>
        <tr>
          <th scope="col">Product</th>
          <th scope="col" class="numeric">
            Quantity
          </th>
          <th scope="col" class="numeric">
            Price
          </th>
          <th scope="col" class="numeric">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {order.lines.map((line) => (
          <tr key={line.productId}>
            <th scope="row">
              <Link href={hrefOf({ page: 'product', productId: line.productId })}>{line.name}</Link>
            </th>
            <td class="numeric">{line.quantity}</td>
            <td class="numeric">{formatMoney(line.unitPrice)}</td>
            <td class="numeric">{formatMoney(line.lineTotal)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={3}>
            Order total
          </th>
          <td class="numeric">{formatMoney(order.total)}</td>
        </tr>
      </tfoot>
    </table>
  );
}

/** One order: its lines and a status that follows the checkout saga until it settles. */
export function OrderPage({ orderId }: { orderId: string }) {
  const shop = useShop();
  const session = useStore(shop.session);
  const here = useCurrentHref();
  const signedIn = isActive(session);
  const [loaded, reload, replace] = useResource(
    signedIn ? (signal) => shop.api.getOrder(orderId, signal) : undefined,
    [orderId, signedIn],
  );
  const order = loaded.state === 'ready' ? loaded.value : undefined;
  const toSignIn = () => {
    shop.session.set(null);
    navigate(hrefOf({ page: 'sign-in', next: here }), { replace: true });
  };
  const { failures } = useOrderPolling(order, replace, toSignIn);

  useEffect(() => {
    if (!signedIn) navigate(hrefOf({ page: 'sign-in', next: here }), { replace: true });
  }, [signedIn]);
  if (!signedIn) return null;

  const title = `Order ${shortOrderId(orderId)}`;
  if (loaded.state === 'loading') return <Loading what="your order" />;
  if (loaded.state === 'failed') {
    const notFound = loaded.error instanceof ApiError && loaded.error.kind === 'not-found';
    return (
      <>
        <PageHeading title={title} />
        {notFound ? (
          <ErrorAlert title="We could not find this order.">
            <p>
              It may belong to another customer. <Link href="/orders">See your orders</Link>
            </p>
          </ErrorAlert>
        ) : (
          <LoadError what="this order" error={loaded.error} onRetry={reload} />
        )}
      </>
    );
  }

  const current = loaded.value;
  const reason = reasonText(current.status, current.statusReason);
  return (
    <div class="order">
      <PageHeading title={title} />
      <p class="muted">Placed {formatDateTime(current.createdAt)}</p>
      <section
        class={`order-status order-status--${current.status.toLowerCase()}`}
        aria-labelledby="status-heading"
      >
        <h2 id="status-heading" class="visually-hidden">
          Status
        </h2>
        <div role="status" aria-live="polite" aria-atomic="true">
          <p class="order-status__line">
            Status: <StatusBadge status={current.status} />
          </p>
          <p>{STATUS_MESSAGES[current.status]}</p>
          {reason && <p>{reason}</p>}
        </div>
        {!isSettled(current.status) && (
          <p class="muted order-status__polling">
            <span class="spinner" aria-hidden="true" />
            {failures > 0
              ? 'The shop is not answering right now; still trying…'
              : 'Waiting for the payment service…'}
          </p>
        )}
      </section>
      <OrderDetails order={current} />
      <CancelOrder order={current} onCancelled={replace} />
      {current.traceId && (
        <p class="muted order-trace">
          Support reference (trace):{' '}
          {current.traceUrl ? (
            <a href={current.traceUrl} target="_blank" rel="noopener noreferrer">
              <code>{current.traceId}</code>
            </a>
          ) : (
            <code>{current.traceId}</code>
          )}
        </p>
      )}
      <p>
        <Link href="/orders">All your orders</Link> · <Link href="/">Continue shopping</Link>
      </p>
    </div>
  );
}
