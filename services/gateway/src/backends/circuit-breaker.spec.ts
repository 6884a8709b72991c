import { describe, expect, it } from '@jest/globals';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from './circuit-breaker.js';

const grpcError = (code: status): ServiceError =>
  Object.assign(new Error(status[code]), { code, details: '', metadata: new Metadata() });

function breakerWithClock() {
  let now = 1_000;
  const states: CircuitState[] = [];
  const breaker = new CircuitBreaker('product', {
    failureThreshold: 3,
    coolDownMs: 5_000,
    now: () => now,
    onStateChange: (state) => states.push(state),
  });
  return { breaker, states, advance: (ms: number) => (now += ms) };
}

const fail = (code: status) => () => Promise.reject(grpcError(code));
const succeed = () => Promise.resolve('ok');

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive UNAVAILABLE or DEADLINE_EXCEEDED failures', async () => {
    const { breaker, states } = breakerWithClock();
    await expect(breaker.run(fail(status.UNAVAILABLE))).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
    await expect(breaker.run(fail(status.DEADLINE_EXCEEDED))).rejects.toBeDefined();
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(fail(status.UNAVAILABLE))).rejects.toBeDefined();
    expect(breaker.state).toBe('open');
    expect(states).toEqual(['open']);
  });

  it('does not count answers of a healthy backend, and a success resets the count', async () => {
    const { breaker } = breakerWithClock();
    await expect(breaker.run(fail(status.UNAVAILABLE))).rejects.toBeDefined();
    await expect(breaker.run(fail(status.UNAVAILABLE))).rejects.toBeDefined();
    await expect(breaker.run(fail(status.NOT_FOUND))).rejects.toBeDefined();
    await expect(breaker.run(fail(status.UNAVAILABLE))).rejects.toBeDefined();
    await expect(breaker.run(fail(status.UNAVAILABLE))).rejects.toBeDefined();
    expect(breaker.state).toBe('closed');
  });

  it('rejects calls while open without making them, with the time left', async () => {
    const { breaker, advance } = breakerWithClock();
    for (let i = 0; i < 3; i += 1)
      await breaker.run(fail(status.UNAVAILABLE)).catch(() => undefined);
    advance(2_000);
    let called = false;
    const error = await breaker
      .run(async () => {
        called = true;
        return 'ok';
      })
      .catch((rejection: unknown) => rejection);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).retryAfterMs).toBe(3_000);
  });

  it('lets one trial through after the cool-down; success closes the circuit', async () => {
    const { breaker, states, advance } = breakerWithClock();
    for (let i = 0; i < 3; i += 1)
      await breaker.run(fail(status.UNAVAILABLE)).catch(() => undefined);
    advance(5_000);
    expect(breaker.state).toBe('half-open');
    let releaseTrial!: (value: string) => void;
    const trial = breaker.run(() => new Promise<string>((resolve) => (releaseTrial = resolve)));
    await expect(breaker.run(succeed)).rejects.toBeInstanceOf(CircuitOpenError);
    releaseTrial('ok');
    await expect(trial).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again for a whole cool-down when the trial fails', async () => {
    const { breaker, advance } = breakerWithClock();
    for (let i = 0; i < 3; i += 1)
      await breaker.run(fail(status.UNAVAILABLE)).catch(() => undefined);
    advance(5_000);
    await expect(breaker.run(fail(status.UNAVAILABLE))).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
    expect(breaker.state).toBe('open');
    advance(4_999);
    await expect(breaker.run(succeed)).rejects.toBeInstanceOf(CircuitOpenError);
  });
});
