/** Every page of the storefront, as parsed from its URL. */
export type Route =
  | { page: 'catalog'; category?: string; q?: string }
  | { page: 'product'; productId: string }
  | { page: 'cart' }
  | { page: 'sign-in'; next: string }
  | { page: 'checkout' }
  | { page: 'orders' }
  | { page: 'order'; orderId: string }
  | { page: 'not-found' };

const segment = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
};

/**
 * Where to go after signing in: a path on this site only. Anything else (`//evil.example`,
 * `https://…`, `javascript:`) falls back to the catalog, so the sign-in page cannot be used to send
 * shoppers elsewhere.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

/** The route of a URL's path and query. */
export function parseRoute(pathname: string, search = ''): Route {
  const query = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean);
  const [first, second, ...rest] = parts;
  if (rest.length > 0) return { page: 'not-found' };
  if (first === undefined) {
    const category = query.get('category') || undefined;
    const q = query.get('q')?.trim() || undefined;
    return { page: 'catalog', ...(category ? { category } : {}), ...(q ? { q } : {}) };
  }
  const id = second === undefined ? undefined : segment(second);
  switch (first) {
    case 'products':
      return id ? { page: 'product', productId: id } : { page: 'not-found' };
    case 'orders':
      if (second === undefined) return { page: 'orders' };
      return id ? { page: 'order', orderId: id } : { page: 'not-found' };
    case 'cart':
      return second === undefined ? { page: 'cart' } : { page: 'not-found' };
    case 'checkout':
      return second === undefined ? { page: 'checkout' } : { page: 'not-found' };
    case 'sign-in':
      return second === undefined
        ? { page: 'sign-in', next: safeNextPath(query.get('next')) }
        : { page: 'not-found' };
    default:
      return { page: 'not-found' };
  }
}

/** The URL of a route (path and query). */
export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'catalog': {
      const query = new URLSearchParams();
      if (route.category) query.set('category', route.category);
      if (route.q) query.set('q', route.q);
      return query.size > 0 ? `/?${query.toString()}` : '/';
    }
    case 'product':
      return `/products/${encodeURIComponent(route.productId)}`;
    case 'cart':
      return '/cart';
    case 'sign-in':
      return route.next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(route.next)}`;
    case 'checkout':
      return '/checkout';
    case 'orders':
      return '/orders';
    case 'order':
      return `/orders/${encodeURIComponent(route.orderId)}`;
    case 'not-found':
      return '/not-found';
  }
}
