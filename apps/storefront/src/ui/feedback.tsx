import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client.js';

/** The message to show for anything a load or action threw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Please try again.';
}

/** An error the shopper should notice at once (announced by screen readers). */
export function ErrorAlert({
  title,
  error,
  children,
}: {
  title: string;
  error?: unknown;
  children?: ComponentChildren;
}) {
  return (
    <div class="alert alert--error" role="alert">
      <p class="alert__title">{title}</p>
      {error !== undefined && <p>{messageOf(error)}</p>}
      {children}
    </div>
  );
}

/** An error with a way to try the failed load again. */
export function LoadError({
  what,
  error,
  onRetry,
}: {
  what: string;
  error: unknown;
  onRetry: () => void;
}) {
  return (
    <ErrorAlert title={`We could not load ${what}.`} error={error}>
      <button type="button" class="button button--secondary" onClick={onRetry}>
        Try again
      </button>
    </ErrorAlert>
  );
}

/** A polite "loading" note, announced without interrupting. */
export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

/** How many units are left, in words. */
export function StockNote({ stock }: { stock: number }) {
  if (stock <= 0) return <p class="stock stock--out">Out of stock</p>;
  if (stock <= 5) return <p class="stock stock--low">Only {stock} left in stock</p>;
  return <p class="stock">{stock} in stock</p>;
}
