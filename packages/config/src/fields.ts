import { z } from 'zod';

/** Levels a pino logger accepts, most to least severe, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The environments the services distinguish. */
export const NODE_ENVS = ['development', 'production', 'test'] as const;
/** One of {@link NODE_ENVS}. */
export type NodeEnv = (typeof NODE_ENVS)[number];

// Keyed by schema instance; zod registries let `.describe()`/`.meta()` clones inherit the mark.
const secretSchemas = z.registry<{ secret: true }>();

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)?$/;
const INTEGER_PATTERN = /^[+-]?\d+$/;

/**
 * Builds a field that parses an environment string into a typed value. `parse` returns
 * `undefined` for unacceptable input; the issue then says what was expected, and the loader
 * adds the received value unless the variable is secret.
 */
function envField<T>(expected: string, parse: (trimmed: string) => T | undefined) {
  return z.string().transform((raw, ctx): T => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}`, input: raw });
      return z.NEVER;
    }
    return value;
  });
}

/**
 * A TCP port, 1–65535. With `allowZero`, 0 is accepted too and means "let the OS pick a free
 * port" — for servers that tests start side by side.
 */
export function port(options: { allowZero?: boolean } = {}) {
  return integer({ min: options.allowZero ? 0 : 1, max: 65_535 });
}

/** A whole number, optionally bounded (both bounds inclusive). */
export function integer(bounds: { min?: number; max?: number } = {}) {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  const expected =
    bounds.min !== undefined && bounds.max !== undefined
      ? `integer ${min}–${max}`
      : bounds.min !== undefined
        ? `integer ≥ ${min}`
        : bounds.max !== undefined
          ? `integer ≤ ${max}`
          : 'integer';
  return envField(expected, (text) => {
    if (!INTEGER_PATTERN.test(text)) return undefined;
    const value = Number(text);
    return value >= min && value <= max ? value : undefined;
  });
}

/** A share from 0 to 1 inclusive, such as `0.1` (a sampling ratio). */
export function ratio() {
  return envField('a number from 0 to 1', (text) => {
    if (!/^(?:0|1|0?\.\d+|1\.0*)$/.test(text)) return undefined;
    const value = Number(text);
    return value >= 0 && value <= 1 ? value : undefined;
  });
}

/**
 * An absolute URL, kept as the string it was given. `protocols` (without the colon, e.g.
 * `['http', 'https']`) restricts the scheme.
 */
export function url(options: { protocols?: readonly string[] } = {}) {
  const { protocols } = options;
  const expected = protocols ? `an absolute ${protocols.join(' or ')} URL` : 'an absolute URL';
  return envField(expected, (text) => {
    const parsed = URL.parse(text);
    if (!parsed) return undefined;
    if (protocols && !protocols.includes(parsed.protocol.slice(0, -1))) return undefined;
    return text;
  });
}

/** A comma-separated list such as `host1:9092,host2:9092`; items are trimmed, empty items dropped. */
export function csvList() {
  return envField('a comma-separated list with at least one item', (text) => {
    const items = text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    return items.length > 0 ? items : undefined;
  });
}

/** A duration in milliseconds, written as `500ms`, `5s`, `2m`, `1h`, `7d` or whole milliseconds. */
export function duration() {
  return envField('a duration such as 500ms, 5s, 2m, 1h, 7d or whole milliseconds', (text) => {
    const match = DURATION_PATTERN.exec(text);
    if (!match) return undefined;
    const [, amount = '', unit = 'ms'] = match;
    return Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
  });
}

/** A boolean written as `true`, `false`, `1` or `0` (case-insensitive). */
export function bool() {
  return envField('true, false, 1 or 0', (text) => {
    switch (text.toLowerCase()) {
      case 'true':
      case '1':
        return true;
      case 'false':
      case '0':
        return false;
      default:
        return undefined;
    }
  });
}

/** A pino log level (case-insensitive). */
export function logLevel() {
  return oneOf(LOG_LEVELS);
}

/** `development`, `production` or `test`. */
export function nodeEnv() {
  return oneOf(NODE_ENVS);
}

/** One of a fixed set of lower-case words, accepted in any case. */
export function oneOf<const Options extends readonly string[]>(options: Options) {
  return envField(`one of ${options.join(', ')}`, (text) => {
    const lowered = text.toLowerCase();
    return options.find((option): option is Options[number] => option === lowered);
  });
}

/** A non-empty string that must never be echoed in error messages (passwords, keys, tokens). */
export function secret() {
  const schema = z.string().min(1, 'must not be empty');
  secretSchemas.add(schema, { secret: true });
  return schema;
}

// Names that carry credentials even when the schema does not use `secret()`.
const SECRET_NAME_PATTERN = /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY/i;

/**
 * Whether a variable's value must never be printed: its field was built with {@link secret}
 * (looking through wrappers such as `.optional()`) or its name says it holds a credential.
 */
export function isSecretVariable(name: string, schema: z.core.$ZodType): boolean {
  return (
    SECRET_NAME_PATTERN.test(name) ||
    unwrapChain(schema).some((layer) => secretSchemas.get(layer)?.secret === true)
  );
}

const WRAPPER_TYPES: ReadonlySet<string> = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'nonoptional',
  'readonly',
  'catch',
]);

/** The schema followed by every schema it wraps (`.optional()`, `.default()`, pipes' inputs…). */
export function unwrapChain(schema: z.core.$ZodType): z.core.$ZodType[] {
  const chain: z.core.$ZodType[] = [];
  let current: z.core.$ZodType | undefined = schema;
  while (current) {
    chain.push(current);
    const def: z.core.$ZodTypeDef = current._zod.def;
    if (WRAPPER_TYPES.has(def.type)) {
      current = (def as z.core.$ZodOptionalDef).innerType;
    } else if (def.type === 'pipe') {
      current = (def as z.core.$ZodPipeDef).in;
    } else {
      current = undefined;
    }
  }
  return chain;
}
