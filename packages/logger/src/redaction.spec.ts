import { describe, expect, it } from '@jest/globals';
import { randomSpanId, randomTraceId } from './trace-context.js';
import {
  maskCardNumbers,
  maskCardNumbersInJson,
  mayHoldCardNumber,
  passesLuhn,
  REDACT_PATHS,
  REDACTED,
  redactSensitiveFields,
} from './redaction.js';

describe('passesLuhn', () => {
  it.each(['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117'])(
    'accepts the test card number %s',
    (digits) => {
      expect(passesLuhn(digits)).toBe(true);
    },
  );

  it('rejects a number with a wrong check digit', () => {
    expect(passesLuhn('4111111111111112')).toBe(false);
  });
});

describe('maskCardNumbers', () => {
  it.each([
    ['charging 4111111111111111 now', `charging ${REDACTED} now`],
    ['4111 1111 1111 1111', REDACTED],
    ['4111-1111-1111-1111', REDACTED],
    ['amex 3782 822463 10005', `amex ${REDACTED}`],
    ['order 12 4242 4242 4242 4242', `order 12 ${REDACTED}`],
    ['/pay?pan=5555555555554444&step=2', `/pay?pan=${REDACTED}&step=2`],
    ['card4111111111111111', `card${REDACTED}`],
    ['two: 4111111111111111, 5555555555554444', `two: ${REDACTED}, ${REDACTED}`],
  ])('masks %p', (text, expected) => {
    expect(maskCardNumbers(text)).toBe(expected);
  });

  it.each([
    ['a wrong check digit', '4111111111111112'],
    ['too few digits', '411111111111'],
    ['too many digits', '41111111111111111111111'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['an all-digit UUID', '12345678-1234-1234-1234-123456789012'],
    ['an ISO timestamp', '2025-06-10T12:00:00.000Z'],
    // Random ids the gateway drew whose digit runs pass the Luhn check (masked before D48).
    ['a trace id with a long digit run', 'fa52db729557e3b793347306596335a3'],
    ['a span id with a long digit run', '6627876739750f5d'],
  ])('leaves %s alone', (_case, text) => {
    expect(maskCardNumbers(text)).toBe(text);
  });

  it('still masks a card number of 16 digits (hex digits, but no letter: not an id)', () => {
    expect(maskCardNumbers('4111111111111111')).toBe(REDACTED);
    expect(maskCardNumbers('4111111111111111abcdef0123456789x')).toContain(REDACTED);
  });

  it('never alters a trace or span id the shop generates, unless it has no letter at all', () => {
    for (let i = 0; i < 20_000; i += 1) {
      const traceId = randomTraceId();
      expect(maskCardNumbers(traceId)).toBe(traceId);
      // An all-digit span id (1 in 1,900) that passes Luhn cannot be told from a card number.
      const spanId = randomSpanId();
      if (/[a-f]/.test(spanId)) expect(maskCardNumbers(spanId)).toBe(spanId);
    }
  });
});

describe('mayHoldCardNumber', () => {
  // The shape it tests for, as the regular expression it replaces wrote it.
  const SHAPE = /\d(?:[ -]?\d){12}/;
  const ALPHABET = '0123456789012345678901234567890123456789 - -ab_';

  it('agrees with the card-number shape on random texts of digits, separators and letters', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    let holding = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const length = 1 + Math.floor(random() * 40);
      let text = '';
      for (let c = 0; c < length; c += 1) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
      expect([text, mayHoldCardNumber(text)]).toEqual([text, SHAPE.test(text)]);
      if (SHAPE.test(text)) holding += 1;
    }
    // Both answers occur often enough for the comparison to mean something.
    expect(holding).toBeGreaterThan(1_000);
    expect(holding).toBeLessThan(19_000);
  });
});

describe('maskCardNumbersInJson', () => {
  it('masks inside string values only, so the line stays valid JSON', () => {
    const line = JSON.stringify({ amount: 4111111111111111, note: 'paid with "4111111111111111"' });

    const masked = maskCardNumbersInJson(line);

    expect(JSON.parse(masked)).toEqual({
      amount: 4111111111111111,
      note: `paid with "${REDACTED}"`,
    });
  });
});

describe('redactSensitiveFields', () => {
  it('redacts sensitive fields at any depth and in any spelling', () => {
    const fields = {
      request: {
        headers: { Authorization: 'Bearer abc', 'set-cookie': ['a=b'], 'X-API-KEY': 'k' },
      },
      login: { user: { PASSWORD: 'hunter2', access_token: 'at', refreshToken: 'rt' } },
      payments: [
        {
          card: { number: '4111111111111111', cvc: '123', expiryMonth: 12 },
          paymentToken: 'tok_visa',
        },
      ],
    };

    expect(redactSensitiveFields(fields)).toEqual({
      request: {
        headers: { Authorization: REDACTED, 'set-cookie': REDACTED, 'X-API-KEY': REDACTED },
      },
      login: { user: { PASSWORD: REDACTED, access_token: REDACTED, refreshToken: REDACTED } },
      payments: [
        { card: { number: REDACTED, cvc: REDACTED, expiryMonth: 12 }, paymentToken: 'tok_visa' },
      ],
    });
  });

  it('leaves the caller’s object untouched', () => {
    const fields = { user: { password: 'hunter2' } };

    redactSensitiveFields(fields);

    expect(fields.user.password).toBe('hunter2');
  });

  it('passes errors and class instances through for their serializers', () => {
    const error = new Error('boom');
    const when = new Date(0);

    const redacted = redactSensitiveFields({ err: error, when });

    expect(redacted.err).toBe(error);
    expect(redacted.when).toBe(when);
  });

  it('survives circular references', () => {
    const node: Record<string, unknown> = { name: 'root', password: 'hunter2' };
    node.self = node;

    expect(redactSensitiveFields(node)).toEqual({
      name: 'root',
      password: REDACTED,
      self: '[Circular]',
    });
  });

  it('lets a number stay a number outside card objects', () => {
    expect(redactSensitiveFields({ order: { number: 42 } })).toEqual({ order: { number: 42 } });
  });
});

describe('REDACT_PATHS', () => {
  it('covers both spellings of the credential headers', () => {
    expect(REDACT_PATHS).toEqual(
      expect.arrayContaining([
        'req.headers["authorization"]',
        'headers["Authorization"]',
        'res.headers["set-cookie"]',
      ]),
    );
  });
});
