import { useErrorBoundary } from 'preact/hooks';
import { itemCount } from './cart/cart.js';
import { CartPage } from './pages/cart-page.js';
import { CatalogPage } from './pages/catalog-page.js';
import { CheckoutPage } from './pages/checkout-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { OrderPage } from './pages/order-page.js';
import { OrdersPage } from './pages/orders-page.js';
import { ProductPage } from './pages/product-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { hrefOf, type Route } from './routing/routes.js';
import { Link, navigate, useCurrentHref, useRoute } from './routing/router.js';
import { displayName, isActive } from './session/session.js';
import { useShop, type Shop } from './shop.js';
import { useStore } from './state/use-store.js';
import { Announcer } from './ui/announcer.js';
import { ErrorAlert } from './ui/feedback.js';
import { SHOP_NAME } from './ui/page-heading.js';

function SearchForm({ route }: { route: Route }) {
  const current = route.page === 'catalog' ? (route.q ?? '') : '';
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const value = data.get('q');
    const q = typeof value === 'string' ? value.trim() : '';
    navigate(hrefOf({ page: 'catalog', ...(q ? { q } : {}) }));
  };
  return (
    <form class="search" role="search" onSubmit={onSubmit}>
      <label for="search-q" class="visually-hidden">
        Search products
      </label>
      <input
        id="search-q"
        key={current}
        name="q"
        type="search"
        placeholder="Search products"
        defaultValue={current}
        maxLength={200}
        autoComplete="off"
      />
      <button type="submit" class="button">
        Search
      </button>
    </form>
  );
}

function AccountMenu({ shop }: { shop: Shop }) {
  const session = useStore(shop.session);
  const here = useCurrentHref();
  if (!isActive(session)) {
    const next = here.startsWith('/sign-in') ? '/' : here;
    return (
      <Link class="nav__link" href={hrefOf({ page: 'sign-in', next })}>
        Sign in
      </Link>
    );
  }
  return (
    <span class="account">
      <span class="account__name">Signed in as {displayName(session)}</span>
      <button
        type="button"
        class="button button--link"
        onClick={() => {
          shop.session.set(null);
          navigate('/');
        }}
      >
        Sign out
      </button>
    </span>
  );
}

function Header({ route }: { route: Route }) {
  const shop = useShop();
  const cart = useStore(shop.cart);
  const count = itemCount(cart);
  return (
    <header class="site-header">
      <div class="site-header__inner">
        <Link class="brand" href="/">
          <span class="brand__mark" aria-hidden="true">
            M
          </span>
          {SHOP_NAME}
        </Link>
        <SearchForm route={route} />
        <nav class="nav" aria-label="Shop">
          <Link
            class="nav__link"
            href="/orders"
            aria-current={route.page === 'orders' || route.page === 'order' ? 'page' : undefined}
          >
            Orders
          </Link>
          <Link
            class="nav__link nav__cart"
            href="/cart"
            aria-current={route.page === 'cart' ? 'page' : undefined}
          >
            Cart
            <span class="badge" aria-hidden="true">
              {count}
            </span>
            <span class="visually-hidden">
              , {count} {count === 1 ? 'item' : 'items'}
            </span>
          </Link>
          <AccountMenu shop={shop} />
        </nav>
      </div>
    </header>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'catalog':
      return <CatalogPage category={route.category} q={route.q} />;
    case 'product':
      return <ProductPage key={route.productId} productId={route.productId} />;
    case 'cart':
      return <CartPage />;
    case 'sign-in':
      return <SignInPage next={route.next} />;
    case 'checkout':
      return <CheckoutPage />;
    case 'orders':
      return <OrdersPage />;
    case 'order':
      return <OrderPage key={route.orderId} orderId={route.orderId} />;
    case 'not-found':
      return <NotFoundPage />;
  }
}

/** The storefront: header, the page of the current URL, footer. */
export function App() {
  const route = useRoute();
  const [error, resetError] = useErrorBoundary() as [unknown, () => void];
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header route={route} />
      <main id="main" class="main" tabIndex={-1}>
        {error ? (
          <ErrorAlert title="This page stopped working.">
            <p>Something unexpected went wrong. Reloading the page usually helps.</p>
            <button type="button" class="button" onClick={() => resetError()}>
              Try again
            </button>
          </ErrorAlert>
        ) : (
          <Page route={route} />
        )}
      </main>
      <Announcer />
      <footer class="site-footer">
        <p>
          {SHOP_NAME} is a reference shop: payments are simulated with test cards, nothing is
          charged. <a href="/docs">API documentation</a>
        </p>
      </footer>
    </>
  );
}
