import { categoryColour, initialsOf } from './placeholder.js';

// The catalog has no photos; every product gets a drawn placeholder (no external image hosts, so
// the page works offline and under the gateway's Content-Security-Policy).

/** A decorative picture of a product: its initials on its category's colour. */
export function ProductImage({
  name,
  category,
  size = 'card',
}: {
  name: string;
  category: string;
  size?: 'card' | 'large' | 'thumb';
}) {
  const colour = categoryColour(category);
  return (
    <svg
      class={`product-image product-image--${size}`}
      viewBox="0 0 160 100"
      aria-hidden="true"
      focusable="false"
    >
      <rect width="160" height="100" fill={colour} />
      <circle cx="134" cy="14" r="42" fill="#ffffff" fill-opacity="0.08" />
      <circle cx="22" cy="96" r="30" fill="#ffffff" fill-opacity="0.06" />
      <text
        x="80"
        y="52"
        text-anchor="middle"
        dominant-baseline="central"
        fill="#ffffff"
        font-size="40"
        font-weight="700"
        letter-spacing="2"
      >
        {initialsOf(name)}
      </text>
    </svg>
  );
}
