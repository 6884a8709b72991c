import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { addToCart, MAX_LINE_QUANTITY } from '../cart/cart.js';
import { hrefOf } from '../routing/routes.js';
import { Link } from '../routing/router.js';
import { useShop } from '../shop.js';
import { useResource } from '../state/use-resource.js';
import { ErrorAlert, LoadError, Loading, StockNote } from '../ui/feedback.js';
import { categoryLabel, formatMoney } from '../ui/format.js';
import { PageHeading, useDocumentTitle } from '../ui/page-heading.js';
import { ProductImage } from '../ui/product-image.js';

/** One product: description, price, stock, and adding it to the cart. */
export function ProductPage({ productId }: { productId: string }) {
  const { api, cart } = useShop();
  const [product, reload] = useResource((signal) => api.getProduct(productId, signal), [productId]);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<string | undefined>(undefined);
  useDocumentTitle(product.state === 'ready' ? product.value.name : 'Product');

  if (product.state === 'loading') return <Loading what="the product" />;
  if (product.state === 'failed') {
    if (product.error instanceof ApiError && product.error.kind === 'not-found') {
      return (
        <>
          <PageHeading title="Product not found" />
          <ErrorAlert title="This product does not exist (any more).">
            <p>
              <Link href="/">Browse the catalog</Link> to find something else.
            </p>
          </ErrorAlert>
        </>
      );
    }
    return (
      <>
        <PageHeading title="Product" />
        <LoadError what="this product" error={product.error} onRetry={reload} />
      </>
    );
  }

  const item = product.value;
  const maxQuantity = Math.min(item.stockAvailable, MAX_LINE_QUANTITY);
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const units = Math.min(Math.max(1, quantity), maxQuantity);
    cart.set(addToCart(cart.get(), item, units));
    setAdded(`${units} × ${item.name} added to your cart.`);
  };

  return (
    <article class="product">
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <ol>
          <li>
            <Link href="/">Catalog</Link>
          </li>
          <li>
            <Link href={hrefOf({ page: 'catalog', category: item.category })}>
              {categoryLabel(item.category)}
            </Link>
          </li>
          <li aria-current="page">{item.name}</li>
        </ol>
      </nav>
      <div class="product__layout">
        <ProductImage name={item.name} category={item.category} size="large" />
        <div class="product__details">
          <PageHeading title={item.name} />
          <p class="price price--large">{formatMoney(item.price)}</p>
          <p class="product__description">{item.description}</p>
          <dl class="facts">
            <dt>SKU</dt>
            <dd>{item.sku}</dd>
            <dt>Category</dt>
            <dd>{categoryLabel(item.category)}</dd>
          </dl>
          <StockNote stock={item.stockAvailable} />
          {maxQuantity > 0 ? (
            <form class="add-form" onSubmit={onSubmit}>
              <label for="quantity">Quantity</label>
              <input
                id="quantity"
                type="number"
                inputMode="numeric"
                min={1}
                max={maxQuantity}
                value={quantity}
                onInput={(event) => {
                  const value = Number(event.currentTarget.value);
                  if (Number.isInteger(value) && value >= 1) setQuantity(value);
                }}
              />
              <button type="submit" class="button button--primary">
                Add to cart
              </button>
            </form>
          ) : (
            <p class="muted">This product is sold out for now. Please check back later.</p>
          )}
          <div role="status" class="add-form__status">
            {added && (
              <p>
                {added} <Link href="/cart">View your cart</Link>
              </p>
            )}
          </div>
          <p>
            <Link href={hrefOf({ page: 'catalog', category: item.category })}>
              More from {categoryLabel(item.category)}
            </Link>
          </p>
        </div>
      </div>
    </article>
  );
}
