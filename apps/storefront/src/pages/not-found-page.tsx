import { Link } from '../routing/router.js';
import { PageHeading } from '../ui/page-heading.js';

/** Any URL that is not a page of the shop. */
export function NotFoundPage() {
  return (
    <div class="not-found">
      <PageHeading title="Page not found" />
      <p>There is no page at this address.</p>
      <p>
        <Link class="button button--primary" href="/">
          Go to the catalog
        </Link>
      </p>
    </div>
  );
}
