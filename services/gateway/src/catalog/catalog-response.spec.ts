import { describe, expect, it } from '@jest/globals';
import { ifNoneMatchMatches } from './catalog-response.js';

describe('ifNoneMatchMatches', () => {
  const etag = '"abc"';
  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abd"', false],
    ['abc', false],
    ['', false],
  ])('If-None-Match %s → %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(expected);
  });

  it('is false without the header', () => {
    expect(ifNoneMatchMatches(undefined, etag)).toBe(false);
  });
});
