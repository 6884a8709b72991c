/** The kinds of shopper journeys the load generator runs. */
export const JOURNEY_KINDS = ['browse', 'view', 'order', 'poll'] as const;

/** One kind of journey: browse a category, view a product, order one, or check one's orders. */
export type JourneyKind = (typeof JOURNEY_KINDS)[number];

/** Relative weights of the journey kinds; kinds left out never run. */
export type JourneyMix = Partial<Record<JourneyKind, number>>;

/** The simulated payment provider's test tokens (see the payment service). */
export const PAYMENT_TOKENS = ['tok_success', 'tok_declined', 'tok_insufficient_funds'] as const;

/** Relative weights of the payment tokens orders are paid with, e.g. `{ tok_success: 8, tok_declined: 2 }`. */
export type PaymentTokenMix = Readonly<Record<string, number>>;

/** The mix used when none is given: mostly browsing, a fifth of journeys place an order. */
export const DEFAULT_MIX: Readonly<Record<JourneyKind, number>> = {
  browse: 5,
  view: 3,
  order: 2,
  poll: 1,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses `500ms`, `30s`, `2m`, `1h` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a duration (e.g. 500ms, 30s, 2m, 1h)`);
  const unit = (match[2] ?? 's') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/** Parses `name=weight,name=weight` into weights; names must be unique, weights non-negative. */
export function parseWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of text.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const match = /^([\w-]+)\s*=\s*(\d+(?:\.\d+)?)$/.exec(entry);
    if (!match) throw new RangeError(`"${entry}" is not name=weight`);
    const [, name, weight] = match as unknown as [string, string, string];
    if (name in weights) throw new RangeError(`"${name}" is given twice`);
    weights[name] = Number(weight);
  }
  return weights;
}

/** Parses a journey mix such as `browse=5,view=3,order=2`; unknown kinds are rejected. */
export function parseMix(text: string): JourneyMix {
  const weights = parseWeights(text);
  for (const name of Object.keys(weights)) {
    if (!(JOURNEY_KINDS as readonly string[]).includes(name))
      throw new RangeError(`unknown journey "${name}" (known: ${JOURNEY_KINDS.join(', ')})`);
  }
  validateWeights(weights, 'journey mix');
  return weights;
}

/** Payment tokens for a share of declined cards: `0.2` pays 80 % with tok_success, 20 % tok_declined. */
export function paymentMixForDeclineRate(declineRate: number): PaymentTokenMix {
  if (!(declineRate >= 0 && declineRate <= 1))
    throw new RangeError(`decline rate ${declineRate} is not between 0 and 1`);
  return { tok_success: 1 - declineRate, tok_declined: declineRate };
}

/** Throws unless the weights are finite, non-negative and not all zero. */
export function validateWeights(weights: Readonly<Record<string, number>>, what: string): void {
  const values = Object.values(weights);
  if (values.some((weight) => !Number.isFinite(weight) || weight < 0))
    throw new RangeError(`${what}: weights must be non-negative numbers`);
  if (!values.some((weight) => weight > 0))
    throw new RangeError(`${what}: at least one weight must be positive`);
}

/** A function that picks one of the weighted names, each with probability weight / total. */
export function weightedPicker<Name extends string>(
  weights: Readonly<Partial<Record<Name, number>>>,
  random: () => number = Math.random,
): () => Name {
  const entries = (Object.entries(weights) as [Name, number][]).filter(([, weight]) => weight > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (entries.length === 0) throw new RangeError('nothing to pick from');
  return () => {
    let remaining = random() * total;
    for (const [name, weight] of entries) {
      remaining -= weight;
      if (remaining < 0) return name;
    }
    // random() * total can round up to total itself; the last name owns that edge.
    return entries[entries.length - 1]![0];
  };
}
