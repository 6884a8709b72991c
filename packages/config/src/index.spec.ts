import { describe, expect, it } from '@jest/globals';
import { ping } from './index.js';

describe('pipeline', () => {
  it('runs TypeScript ESM through swc', () => {
    expect(ping()).toBe('pong');
  });
});
