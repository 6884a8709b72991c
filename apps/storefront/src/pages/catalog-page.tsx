import { useEffect, useRef, useState } from 'preact/hooks';
import type { Product } from '../api/types.js';
import { addToCart } from '../cart/cart.js';
import { hrefOf } from '../routing/routes.js';
import { Link } from '../routing/router.js';
import { useShop } from '../shop.js';
import { useResource } from '../state/use-resource.js';
import { announce } from '../ui/announcer.js';
import { ErrorAlert, LoadError, Loading, messageOf, StockNote } from '../ui/feedback.js';
import { categoryLabel, formatMoney } from '../ui/format.js';
import { PageHeading } from '../ui/page-heading.js';
import { ProductImage } from '../ui/product-image.js';

const PAGE_SIZE = 24;

/**
 * The category links. `productsShown` says the product list beside it has loaded: the catalog
 * answers again, so a category list that failed is asked for once more. Without that, a retry
 * whose two calls straddle the gateway's half-open circuit (one trial call goes through, the other
 * is turned away) shows the products with no categories and nothing to click to get them back.
 */
function CategoryNav({
  active,
  productsShown,
}: {
  active: string | undefined;
  productsShown: boolean;
}) {
  const { api } = useShop();
  const [categories, reload] = useResource((signal) => api.listCategories(signal), []);
  // One more try each time the products load, however the two answers are ordered.
  const retried = useRef(false);
  useEffect(() => {
    if (!productsShown) retried.current = false;
    else if (categories.state === 'failed' && !retried.current) {
      retried.current = true;
      reload();
    }
  }, [productsShown, categories.state, reload]);
  // The product list reports the outage; a missing category list alone is not worth a second alert.
  if (categories.state !== 'ready') return null;
  return (
    <nav class="categories" aria-label="Categories">
      <ul>
        <li>
          <Link href="/" aria-current={active === undefined ? 'page' : undefined}>
            All products
          </Link>
        </li>
        {categories.value.map(({ name, productCount }) => (
          <li key={name}>
            <Link
              href={hrefOf({ page: 'catalog', category: name })}
              aria-current={active === name ? 'page' : undefined}
            >
              {categoryLabel(name)}
              <span class="categories__count"> ({productCount})</span>
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** One product in the grid. */
export function ProductCard({ product }: { product: Product }) {
  const { cart } = useShop();
  const inStock = product.stockAvailable > 0;
  const add = () => {
    cart.set(addToCart(cart.get(), product));
    announce(`${product.name} added to your cart.`);
  };
  return (
    <article class="card">
      <ProductImage name={product.name} category={product.category} />
      <div class="card__body">
        <p class="card__category">{categoryLabel(product.category)}</p>
        <h2 class="card__title">
          <Link href={hrefOf({ page: 'product', productId: product.id })}>{product.name}</Link>
        </h2>
        <p class="price">{formatMoney(product.price)}</p>
        <StockNote stock={product.stockAvailable} />
        {/* The name starts with the visible text, so speech control ("click Add to cart") works. */}
        <button
          type="button"
          class="button card__add"
          disabled={!inStock}
          aria-label={`Add to cart: ${product.name}`}
          onClick={add}
        >
          Add to cart
        </button>
      </div>
    </article>
  );
}

interface Listing {
  products: Product[];
  nextPageToken: string | null;
  totalSize: number;
}

/** The catalog: all products, one category, or the results of a search. */
export function CatalogPage({ category, q }: { category?: string; q?: string }) {
  const { api } = useShop();
  const [listing, reload, replaceListing] = useResource<Listing>(
    (signal) => api.listProducts({ category, q, pageSize: PAGE_SIZE }, signal),
    [category, q],
  );
  // A retry after an outage loads the categories again too.
  const [attempt, setAttempt] = useState(0);
  const retry = () => {
    setAttempt((count) => count + 1);
    reload();
  };
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(undefined);

  const title = q
    ? `Search results for “${q}”`
    : category
      ? categoryLabel(category)
      : 'All products';

  const loadMore = async (current: Listing) => {
    if (!current.nextPageToken) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const next = await api.listProducts({
        category,
        q,
        pageSize: PAGE_SIZE,
        pageToken: current.nextPageToken,
      });
      replaceListing({ ...next, products: [...current.products, ...next.products] });
    } catch (error) {
      setMoreError(error);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <div class="catalog">
      <PageHeading title={title} />
      <CategoryNav
        key={attempt}
        active={q ? undefined : category}
        productsShown={listing.state === 'ready'}
      />
      <section class="catalog__results" aria-label="Products">
        {listing.state === 'loading' && <Loading what="products" />}
        {listing.state === 'failed' && (
          <LoadError what="the products" error={listing.error} onRetry={retry} />
        )}
        {listing.state === 'ready' && (
          <>
            <p class="muted" role="status">
              {listing.value.totalSize === 1 ? '1 product' : `${listing.value.totalSize} products`}
            </p>
            {listing.value.products.length === 0 ? (
              <p class="empty">
                No products match. <Link href="/">See all products</Link>
              </p>
            ) : (
              <ul class="product-grid">
                {listing.value.products.map((product) => (
                  <li key={product.id}>
                    <ProductCard product={product} />
                  </li>
                ))}
              </ul>
            )}
            {moreError !== undefined && (
              <ErrorAlert title="We could not load more products.">
                <p>{messageOf(moreError)}</p>
              </ErrorAlert>
            )}
            {listing.value.nextPageToken && (
              <button
                type="button"
                class="button button--secondary load-more"
                disabled={loadingMore}
                onClick={() => void loadMore(listing.value)}
              >
                {loadingMore ? 'Loading…' : 'Show more products'}
              </button>
            )}
          </>
        )}
      </section>
    </div>
  );
}
