const MIB = 2 ** 20;
const UNITS: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: MIB,
  Gi: 2 ** 30,
  k: 2 ** 10,
  m: MIB,
  g: 2 ** 30,
};

/** Bytes of a Kubernetes quantity (`256Mi`) or a Compose byte value (`256m`). */
export function bytes(quantity: string | number | undefined): number {
  const match = /^(\d+)([A-Za-z]*)$/.exec(String(quantity ?? ''));
  const unit = match && (match[2] === '' ? 1 : UNITS[match[2]!]);
  if (!match || !unit) throw new Error(`not a memory quantity: ${String(quantity)}`);
  return Number(match[1]) * unit;
}
