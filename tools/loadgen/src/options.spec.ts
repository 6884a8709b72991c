import { describe, expect, it } from '@jest/globals';
import {
  parseDuration,
  parseMix,
  parseWeights,
  paymentMixForDeclineRate,
  weightedPicker,
} from './options.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['45', 45_000],
  ])('reads %s as %d ms', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds);
  });

  it.each(['', 's', '-1s', '10 minutes', '1d'])('rejects %p', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});

describe('parseMix', () => {
  it('reads weights per journey kind', () => {
    expect(parseMix('browse=5, view=3,order=2')).toEqual({ browse: 5, view: 3, order: 2 });
  });

  it('rejects unknown kinds, repeats, negative, malformed and all-zero weights', () => {
    expect(() => parseMix('browse=5,checkout=1')).toThrow(/unknown journey "checkout"/);
    expect(() => parseMix('browse=1,browse=2')).toThrow(/given twice/);
    expect(() => parseMix('browse=-1')).toThrow(RangeError);
    expect(() => parseMix('browse')).toThrow(/name=weight/);
    expect(() => parseMix('browse=0,view=0')).toThrow(/positive/);
  });
});

describe('parseWeights', () => {
  it('accepts any names, for payment tokens', () => {
    expect(parseWeights('tok_success=8,tok_declined=2')).toEqual({
      tok_success: 8,
      tok_declined: 2,
    });
  });
});

describe('paymentMixForDeclineRate', () => {
  it('splits orders between success and decline', () => {
    expect(paymentMixForDeclineRate(0.25)).toEqual({ tok_success: 0.75, tok_declined: 0.25 });
  });

  it('rejects rates outside 0–1', () => {
    expect(() => paymentMixForDeclineRate(1.5)).toThrow(RangeError);
  });
});

describe('weightedPicker', () => {
  it('maps the unit interval onto the weights in order', () => {
    const values = [0, 0.49, 0.5, 0.79, 0.8, 0.999999];
    const pick = weightedPicker({ browse: 5, view: 3, order: 2 }, () => values.shift()!);
    expect(Array.from({ length: 6 }, pick)).toEqual([
      'browse',
      'browse',
      'view',
      'view',
      'order',
      'order',
    ]);
  });

  it('never picks a zero weight', () => {
    const pick = weightedPicker({ browse: 0, poll: 1 }, () => 0);
    expect(pick()).toBe('poll');
  });

  it('follows the weights over many draws', () => {
    let seed = 42;
    // A small linear congruential generator: deterministic, yet spread over [0, 1).
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const pick = weightedPicker({ browse: 5, view: 3, order: 2 }, random);
    const counts = { browse: 0, view: 0, order: 0 };
    for (let draw = 0; draw < 10_000; draw += 1) counts[pick()] += 1;
    expect(counts.browse / 10_000).toBeCloseTo(0.5, 1);
    expect(counts.view / 10_000).toBeCloseTo(0.3, 1);
    expect(counts.order / 10_000).toBeCloseTo(0.2, 1);
  });
});
