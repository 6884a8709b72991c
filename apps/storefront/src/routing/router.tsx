import type { ComponentChildren, TargetedMouseEvent } from 'preact';
import { createStore } from '../state/store.js';
import { useStore } from '../state/use-store.js';
import { parseRoute, type Route } from './routes.js';

interface Location {
  pathname: string;
  search: string;
}

const currentLocation = (): Location => ({
  pathname: window.location.pathname,
  search: window.location.search,
});

const location = createStore<Location>(currentLocation());
window.addEventListener('popstate', () => location.set(currentLocation()));

let navigatedInPage = false;
window.addEventListener('popstate', () => {
  navigatedInPage = true;
});

/** Goes to a page of the storefront without reloading the document. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  navigatedInPage = true;
  if (options.replace) window.history.replaceState(null, '', href);
  else {
    window.history.pushState(null, '', href);
    window.scrollTo(0, 0);
  }
  location.set(currentLocation());
}

/**
 * Whether the shopper moved between pages of this document. Then a new page moves the focus to
 * its heading, as a full page load would put a screen reader at the top of the new page.
 */
export const hasNavigatedInPage = (): boolean => navigatedInPage;

/** The route of the current URL; the component renders again on navigation. */
export function useRoute(): Route {
  const { pathname, search } = useStore(location);
  return parseRoute(pathname, search);
}

/** The current path and query, e.g. to come back after signing in. */
export function useCurrentHref(): string {
  const { pathname, search } = useStore(location);
  return `${pathname}${search}`;
}

interface LinkProps {
  href: string;
  children: ComponentChildren;
  class?: string;
  'aria-current'?: 'page' | undefined;
}

/**
 * A link to a page of the storefront: a real `<a href>` (so it can be opened in a new tab, copied
 * and followed by keyboard), navigating in place on a plain click.
 */
export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a {...rest} href={href} onClick={onClick}>
      {children}
    </a>
  );
}
