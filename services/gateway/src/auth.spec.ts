import { describe, expect, it } from '@jest/globals';
import { TokenService } from './auth.js';
import { HttpProblem } from './problem.js';

const settings = {
  JWT_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
  JWT_ISSUER: 'mercato-gateway',
  JWT_AUDIENCE: 'mercato-api',
  JWT_TTL: 120_000,
};

/** A token service whose clock the test moves. */
function tokensAt(start = Date.now()) {
  const clock = { now: start };
  return { clock, tokens: new TokenService(settings, () => clock.now) };
}

const detailOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  return (error as HttpProblem).detail;
};

describe('TokenService.verify with its memory of verified tokens', () => {
  it('accepts a verified token again, for the same customer', async () => {
    const { tokens } = tokensAt();
    const { accessToken } = await tokens.issue('demo-alice', 'customer');
    await expect(tokens.verify(accessToken)).resolves.toEqual({
      customerId: 'demo-alice',
      kind: 'customer',
    });
    await expect(tokens.verify(accessToken)).resolves.toEqual({
      customerId: 'demo-alice',
      kind: 'customer',
    });
  });

  it('rejects a remembered token once it has expired', async () => {
    const { clock, tokens } = tokensAt();
    const { accessToken } = await tokens.issue('demo-alice', 'customer');
    await tokens.verify(accessToken);
    clock.now += settings.JWT_TTL + 1_000;
    expect(await detailOf(tokens.verify(accessToken))).toBe('the access token has expired');
  });

  it('rejects a token whose signature differs from a remembered one', async () => {
    const { tokens } = tokensAt();
    const { accessToken } = await tokens.issue('demo-alice', 'customer');
    await tokens.verify(accessToken);
    const last = accessToken.at(-2) === 'A' ? 'B' : 'A';
    const forged = `${accessToken.slice(0, -2)}${last}${accessToken.at(-1)}`;
    expect(await detailOf(tokens.verify(forged))).toBe('the access token is not valid');
  });

  it('rejects a token signed with another key even when a valid one is remembered', async () => {
    const { tokens } = tokensAt();
    const other = new TokenService({
      ...settings,
      JWT_SECRET: 'another-secret-that-is-long-enough-987654',
    });
    await tokens.verify((await tokens.issue('demo-alice', 'customer')).accessToken);
    const { accessToken } = await other.issue('demo-alice', 'customer');
    expect(await detailOf(tokens.verify(accessToken))).toBe('the access token is not valid');
  });
});
