import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { ApiClient } from './api/client.js';
import { parseCart, type Cart } from './cart/cart.js';
import { parseSession, type Session } from './session/session.js';
import { persistedStore, type Store } from './state/store.js';

/** What every page works with: the API, the cart and the shopper's session. */
export interface Shop {
  api: ApiClient;
  cart: Store<Cart>;
  session: Store<Session | null>;
}

// Versioned keys: a release that changes what is stored changes the key instead of misreading.
const CART_KEY = 'mercato.cart.v1';
const SESSION_KEY = 'mercato.session.v1';

/** The shop of this browser tab: cart and session kept in localStorage, shared by its tabs. */
export function createShop(window: Window): Shop {
  const cart = persistedStore<Cart>({
    storage: window.localStorage,
    key: CART_KEY,
    parse: parseCart,
    window,
  });
  const session = persistedStore<Session | null>({
    storage: window.localStorage,
    key: SESSION_KEY,
    parse: (stored) => parseSession(stored),
    window,
  });
  const api = new ApiClient({ accessToken: () => session.get()?.accessToken });
  return { api, cart, session };
}

/** Provides the shop to the pages. */
export const ShopContext = createContext<Shop | undefined>(undefined);

/** The shop of the current page. */
export function useShop(): Shop {
  const shop = useContext(ShopContext);
  if (!shop) throw new Error('useShop needs a <ShopContext.Provider> above it');
  return shop;
}
