// Placeholder pictures: the catalog has no photos, so each product is drawn from its name and category.

const CATEGORY_COLOURS: Record<string, string> = {
  kitchen: '#9a3412',
  home: '#1e40af',
  outdoor: '#166534',
  stationery: '#6b21a8',
  bath: '#0e7490',
  garden: '#3f6212',
};
const OTHER_COLOURS = ['#9f1239', '#854d0e', '#155e75', '#3730a3'];

/** The colour of a category's placeholders (dark enough for white initials). */
export function categoryColour(category: string): string {
  const known = CATEGORY_COLOURS[category];
  if (known) return known;
  let hash = 0;
  for (const char of category) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return OTHER_COLOURS[hash % OTHER_COLOURS.length]!;
}

/** `Cast-Iron Skillet 26 cm` → `CS`. */
export function initialsOf(name: string): string {
  const words = name.match(/\p{L}[\p{L}'’-]*/gu) ?? [];
  return words
    .slice(0, 2)
    .map((word) => word.charAt(0).toUpperCase())
    .join('');
}
