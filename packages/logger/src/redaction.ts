/** What every redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Field names whose values never reach the log, compared case-insensitively and ignoring `-`
 * and `_` (so `Authorization`, `set-cookie`, `access_token` and `cardNumber` all match).
 * `paymentToken` is deliberately absent: it is the provider's opaque reference, not a secret.
 */
export const SENSITIVE_FIELD_NAMES: readonly string[] = [
  'authorization',
  'proxyAuthorization',
  'cookie',
  'setCookie',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'clientSecret',
  'apiKey',
  'xApiKey',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'cardNumber',
  'pan',
  'cvc',
  'cvv',
  'cvv2',
  'securityCode',
];

/** `number` is sensitive only inside one of these objects, e.g. `card.number`. */
const CARD_OBJECT_NAMES: readonly string[] = ['card', 'paymentCard', 'creditCard'];

const HEADER_NAMES = [
  'authorization',
  'Authorization',
  'proxy-authorization',
  'Proxy-Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'Set-Cookie',
  'x-api-key',
  'X-Api-Key',
];
const HEADER_CONTAINERS = ['req.headers', 'res.headers', 'headers', '*.headers'];
const FIELD_PATHS = [
  'password',
  'secret',
  'clientSecret',
  'apiKey',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'cardNumber',
  'pan',
  'cvc',
  'cvv',
  'card.number',
];

/**
 * pino `redact` paths. They apply after serializers, so they also cover the `req`/`res`
 * objects that HTTP serializers produce; {@link redactSensitiveFields} covers any depth and case.
 */
export const REDACT_PATHS: readonly string[] = [
  ...HEADER_CONTAINERS.flatMap((container) =>
    HEADER_NAMES.map((header) => `${container}["${header}"]`),
  ),
  ...FIELD_PATHS.flatMap((path) => [path, `*.${path}`]),
];

const normalise = (name: string) => name.replace(/[-_]/g, '').toLowerCase();
const sensitiveNames: ReadonlySet<string> = new Set(SENSITIVE_FIELD_NAMES.map(normalise));
const cardObjectNames: ReadonlySet<string> = new Set(CARD_OBJECT_NAMES.map(normalise));

function isSensitiveField(name: string, parentName: string | undefined): boolean {
  const normalised = normalise(name);
  if (sensitiveNames.has(normalised)) return true;
  return (
    normalised === 'number' &&
    parentName !== undefined &&
    cardObjectNames.has(normalise(parentName))
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Returns a copy of `value` with the values of sensitive fields ({@link SENSITIVE_FIELD_NAMES},
 * `card.number`) replaced by {@link REDACTED}, at any depth. Only plain objects and arrays are
 * walked; errors, buffers and class instances are left to pino's serializers.
 */
export function redactSensitiveFields<T>(value: T): T {
  return redactWithin(value, undefined, new Set()) as T;
}

function redactWithin(
  value: unknown,
  parentName: string | undefined,
  ancestors: Set<object>,
): unknown {
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return value;
  if (ancestors.has(value)) return '[Circular]';
  ancestors.add(value);
  let copy: unknown;
  if (isArray) {
    copy = value.map((item: unknown) => redactWithin(item, parentName, ancestors));
  } else {
    const fields: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value)) {
      fields[name] = isSensitiveField(name, parentName)
        ? REDACTED
        : redactWithin(field, name, ancestors);
    }
    copy = fields;
  }
  ancestors.delete(value);
  return copy;
}

/** Whether a string of digits passes the Luhn checksum that every payment card number carries. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let offset = 0; offset < digits.length; offset++) {
    let digit = digits.charCodeAt(digits.length - 1 - offset) - 48;
    if (offset % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

// Digit groups joined by single spaces or dashes, e.g. "4111 1111 1111 1111".
const DIGIT_RUN = /\d+(?:[ -]\d+)*/g;
const DIGIT_GROUP = /\d+/g;
const CARD_MIN_DIGITS = 13;
const CARD_MAX_DIGITS = 19;
// Cards are printed in groups that start with four digits and never exceed six (4-4-4-4,
// 4-6-5); requiring that keeps UUIDs and similar dashed identifiers from being mistaken for cards.
const CARD_FIRST_GROUP_DIGITS = 4;
const CARD_MAX_GROUP_DIGITS = 6;

/**
 * Whether a text holds at least 13 digits in a row, each pair of neighbours joined by at most one
 * space or dash: the shape every card number has. One pass, no backtracking — it runs on every
 * log line and every access-log field, and on hex identifiers a regular expression for the same
 * shape (`\d(?:[ -]?\d){12}`) retried at every digit.
 */
export function mayHoldCardNumber(text: string): boolean {
  let run = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code >= 48 && code <= 57) {
      run += 1;
      if (run >= CARD_MIN_DIGITS) return true;
    } else if (!(
      run > 0 &&
      (code === 32 || code === 45) &&
      isDigitCode(text.charCodeAt(index + 1))
    )) {
      run = 0;
    }
  }
  return false;
}

const isDigitCode = (code: number) => code >= 48 && code <= 57;

/**
 * Whether a text is a W3C trace or span id (or any id of that form): exactly 32 or 16 lowercase
 * hex digits, at least one of them a letter. A card number has no letters, so it is never taken
 * for one; a random trace id holds a Luhn-valid run of 13+ decimal digits about once in 600, and
 * masking that broke the one field that leads from a log line to its trace. (A span id of 16
 * decimal digits, about 1 in 1,900, passing Luhn, 1 in 10 of those, still looks like a card.)
 */
function isHexIdentifier(text: string): boolean {
  if (text.length !== 32 && text.length !== 16) return false;
  let letters = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code >= 97 && code <= 102) letters += 1;
    else if (!isDigitCode(code)) return false;
  }
  return letters > 0;
}

/**
 * Replaces every sequence that looks like a payment card number — 13 to 19 digits, bare or in
 * space/dash separated groups, passing the Luhn check — with {@link REDACTED}. A text that is a
 * hex identifier as a whole (a trace or span id) is left as it is.
 */
export function maskCardNumbers(text: string): string {
  if (!mayHoldCardNumber(text) || isHexIdentifier(text)) return text;
  return text.replace(DIGIT_RUN, maskCardNumbersInRun);
}

function maskCardNumbersInRun(run: string): string {
  const groups = [...run.matchAll(DIGIT_GROUP)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    digits: match[0],
  }));
  const spans: [number, number][] = [];
  // A run can hold a card number beside other numbers ("order 12 4111 1111 1111 1111"), so
  // every window of consecutive groups is a candidate, not only the whole run.
  groups.forEach((first, firstIndex) => {
    let digits = '';
    for (const group of groups.slice(firstIndex)) {
      const extendsWindow = group !== first;
      if (
        extendsWindow &&
        (first.digits.length !== CARD_FIRST_GROUP_DIGITS ||
          group.digits.length > CARD_MAX_GROUP_DIGITS)
      ) {
        break;
      }
      digits += group.digits;
      if (digits.length > CARD_MAX_DIGITS) break;
      if (digits.length >= CARD_MIN_DIGITS && passesLuhn(digits))
        spans.push([first.start, group.end]);
    }
  });
  if (spans.length === 0) return run;

  spans.sort(([leftStart], [rightStart]) => leftStart - rightStart);
  let masked = '';
  let cursor = 0;
  for (const [start, end] of spans) {
    if (start >= cursor) {
      masked += run.slice(cursor, start) + REDACTED;
      cursor = end;
    } else if (end > cursor) {
      // Overlaps the span just masked: widen it rather than mask twice.
      cursor = end;
    }
  }
  return masked + run.slice(cursor);
}

// A JSON string literal, escapes included.
const JSON_STRING_LITERAL = /"(?:[^"\\]|\\.)*"/g;

/**
 * Masks card numbers inside the string values of one serialized JSON log line, leaving
 * numbers and structure untouched so the line stays valid JSON.
 */
export function maskCardNumbersInJson(line: string): string {
  if (!mayHoldCardNumber(line)) return line;
  return line.replace(JSON_STRING_LITERAL, maskCardNumbers);
}
