import { describe, expect, it } from '@jest/globals';
import { hrefOf, parseRoute, safeNextPath, type Route } from './routes.js';

describe('routes', () => {
  it('parses every page of the storefront', () => {
    expect(parseRoute('/')).toEqual({ page: 'catalog' });
    expect(parseRoute('/', '?category=kitchen&q=%20mug%20')).toEqual({
      page: 'catalog',
      category: 'kitchen',
      q: 'mug',
    });
    expect(parseRoute('/products/abc%2F1')).toEqual({ page: 'product', productId: 'abc/1' });
    expect(parseRoute('/cart')).toEqual({ page: 'cart' });
    expect(parseRoute('/checkout')).toEqual({ page: 'checkout' });
    expect(parseRoute('/orders')).toEqual({ page: 'orders' });
    expect(parseRoute('/orders/42')).toEqual({ page: 'order', orderId: '42' });
    expect(parseRoute('/sign-in', '?next=%2Fcheckout')).toEqual({
      page: 'sign-in',
      next: '/checkout',
    });
  });

  it('treats unknown and malformed paths as not found', () => {
    for (const path of ['/nope', '/cart/extra', '/products', '/orders/1/2', '/products/%E0%A4%A'])
      expect(parseRoute(path)).toEqual({ page: 'not-found' });
  });

  it('writes URLs that parse back to the same route', () => {
    const routes: Route[] = [
      { page: 'catalog' },
      { page: 'catalog', category: 'home', q: 'lamp & shade' },
      { page: 'product', productId: 'a b/c' },
      { page: 'cart' },
      { page: 'checkout' },
      { page: 'orders' },
      { page: 'order', orderId: 'f0e1' },
      { page: 'sign-in', next: '/orders/f0e1?x=1' },
      { page: 'sign-in', next: '/' },
    ];
    for (const route of routes) {
      const url = new URL(hrefOf(route), 'http://shop.test');
      expect(parseRoute(url.pathname, url.search)).toEqual(route);
    }
  });

  it('only returns to paths of this site after signing in', () => {
    expect(safeNextPath('/checkout')).toBe('/checkout');
    for (const unsafe of [
      '//evil.example',
      'https://evil.example',
      'javascript:alert(1)',
      '/\\evil',
      '',
    ])
      expect(safeNextPath(unsafe)).toBe('/');
    expect(safeNextPath(null)).toBe('/');
  });
});
