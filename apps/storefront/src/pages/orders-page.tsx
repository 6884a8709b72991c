import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { Order, OrderPage } from '../api/types.js';
import { hrefOf } from '../routing/routes.js';
import { Link, navigate } from '../routing/router.js';
import { isActive } from '../session/session.js';
import { useShop } from '../shop.js';
import { useResource } from '../state/use-resource.js';
import { useStore } from '../state/use-store.js';
import { ErrorAlert, LoadError, Loading, messageOf } from '../ui/feedback.js';
import { formatDateTime, formatMoney, shortOrderId } from '../ui/format.js';
import { PageHeading } from '../ui/page-heading.js';
import { StatusBadge } from './order-page.js';

const itemsOf = (order: Order) => {
  const units = order.lines.reduce((count, line) => count + line.quantity, 0);
  return units === 1 ? '1 item' : `${units} items`;
};

/** The signed-in shopper's orders, newest first. */
export function OrdersPage() {
  const shop = useShop();
  const session = useStore(shop.session);
  const signedIn = isActive(session);
  const [history, reload, replace] = useResource<OrderPage>(
    signedIn ? (signal) => shop.api.listOrders(undefined, signal) : undefined,
    [session?.customerId, signedIn],
  );
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(undefined);

  useEffect(() => {
    if (!signedIn) navigate(hrefOf({ page: 'sign-in', next: '/orders' }), { replace: true });
  }, [signedIn]);
  useEffect(() => {
    if (
      history.state === 'failed' &&
      history.error instanceof ApiError &&
      history.error.kind === 'unauthenticated'
    )
      shop.session.set(null);
  }, [history]);
  if (!signedIn) return null;

  const loadMore = async (current: OrderPage) => {
    if (!current.nextPageToken) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const next = await shop.api.listOrders(current.nextPageToken);
      replace({ ...next, orders: [...current.orders, ...next.orders] });
    } catch (error) {
      setMoreError(error);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <div class="orders">
      <PageHeading title="Your orders" />
      {history.state === 'loading' && <Loading what="your orders" />}
      {history.state === 'failed' && (
        <LoadError what="your orders" error={history.error} onRetry={reload} />
      )}
      {history.state === 'ready' &&
        (history.value.orders.length === 0 ? (
          <p class="empty">
            You have not ordered anything yet. <Link href="/">Browse the catalog</Link>
          </p>
        ) : (
          <>
            <ul class="order-list">
              {history.value.orders.map((order) => (
                <li key={order.id} class="order-list__item">
                  <h2 class="order-list__title">
                    <Link href={hrefOf({ page: 'order', orderId: order.id })}>
                      Order {shortOrderId(order.id)}
                    </Link>
                  </h2>
                  <p class="muted">
                    {formatDateTime(order.createdAt)} · {itemsOf(order)}
                  </p>
                  <p class="order-list__total">{formatMoney(order.total)}</p>
                  <StatusBadge status={order.status} />
                </li>
              ))}
            </ul>
            {moreError !== undefined && (
              <ErrorAlert title="We could not load older orders.">
                <p>{messageOf(moreError)}</p>
              </ErrorAlert>
            )}
            {history.value.nextPageToken && (
              <button
                type="button"
                class="button button--secondary load-more"
                disabled={loadingMore}
                onClick={() => void loadMore(history.value)}
              >
                {loadingMore ? 'Loading…' : 'Show older orders'}
              </button>
            )}
          </>
        ))}
    </div>
  );
}
