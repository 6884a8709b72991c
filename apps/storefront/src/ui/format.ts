import type { Money } from '../api/types.js';

/** The language of the storefront's text; numbers and dates are written the same way. */
export const LOCALE = 'en';

/** `{ amountMinor: 1450, currency: 'EUR' }` → `€14.50`, with the currency's own minor unit. */
export function formatMoney(money: Money): string {
  const format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: money.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(money.amountMinor / 10 ** digits);
}

/** An ISO timestamp as a short, readable date and time. */
export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(iso),
  );
}

/** `kitchen` → `Kitchen`. */
export const categoryLabel = (category: string): string =>
  category.charAt(0).toUpperCase() + category.slice(1);

/** The first short order-id segment, enough for a shopper to tell orders apart. */
export const shortOrderId = (orderId: string): string => orderId.slice(0, 8).toUpperCase();
