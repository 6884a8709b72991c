import { describe, expect, it } from '@jest/globals';
import {
  maskCardNumbers,
  maskCardNumbersInJson,
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
  ])('leaves %s alone', (_case, text) => {
    expect(maskCardNumbers(text)).toBe(text);
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
