import { describe, expect, it, jest } from '@jest/globals';
import { type HealthLogger } from './logger.js';
import { startMemoryReducer, type GcFunction } from './memory-reducer.js';

const MIB = 1024 * 1024;

/** A process whose heap, RSS and event-loop utilization the test sets, and a gc that shrinks it. */
function fakeProcess(start: { heapMiB: number; utilization: number }) {
  const state = { heap: start.heapMiB * MIB, utilization: start.utilization, collected: 0 };
  const gc = jest.fn<GcFunction>(() => {
    state.collected += 1;
    state.heap = 30 * MIB;
  });
  const messages: string[] = [];
  const logger: HealthLogger = {
    info: (_fields, message) => messages.push(message),
    warn: (_fields, message) => messages.push(message),
    error: (_fields, message) => messages.push(message),
  };
  const reducer = startMemoryReducer({
    gc,
    logger,
    intervalMs: 3_600_000,
    heapBytes: () => state.heap,
    rssBytes: () => state.heap + 60 * MIB,
    utilization: () => state.utilization,
  });
  return { state, gc, reducer, messages };
}

describe('startMemoryReducer', () => {
  it('collects once start-up is over and the process is quiet, shrinking the heap', () => {
    const { gc, reducer, messages } = fakeProcess({ heapMiB: 53, utilization: 0.001 });
    const reduction = reducer.check();
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    expect(reduction).toMatchObject({
      heapBefore: 53 * MIB,
      heapAfter: 30 * MIB,
      rssBefore: 113 * MIB,
      rssAfter: 90 * MIB,
    });
    expect(messages).toEqual(['memory reduced while quiet']);
    reducer.stop();
  });

  it('never collects while the process is busy', () => {
    const { gc, reducer } = fakeProcess({ heapMiB: 53, utilization: 0.6 });
    for (let i = 0; i < 5; i += 1) expect(reducer.check()).toBeUndefined();
    expect(gc).not.toHaveBeenCalled();
    reducer.stop();
  });

  it('does not collect again while idle, only after the heap has grown by the threshold', () => {
    const { state, gc, reducer } = fakeProcess({ heapMiB: 53, utilization: 0.001 });
    reducer.check();
    for (let i = 0; i < 5; i += 1) reducer.check();
    expect(gc).toHaveBeenCalledTimes(1);
    // A burst of load grows the young generation; while it lasts nothing runs.
    state.heap = 45 * MIB;
    state.utilization = 0.7;
    reducer.check();
    expect(gc).toHaveBeenCalledTimes(1);
    // Quiet again: the growth (15 MiB ≥ 8) is given back once.
    state.utilization = 0.005;
    reducer.check();
    reducer.check();
    expect(gc).toHaveBeenCalledTimes(2);
    // Growth below the threshold is left alone.
    state.heap = 35 * MIB;
    reducer.check();
    expect(gc).toHaveBeenCalledTimes(2);
    reducer.stop();
  });

  it('does nothing, and says so, without a gc function (node without --expose-gc)', () => {
    const messages: string[] = [];
    const reducer = startMemoryReducer({
      gc: undefined,
      logger: { info: (_f, m) => messages.push(m), warn: () => {}, error: () => {} },
    });
    expect(reducer.active).toBe(false);
    expect(reducer.check()).toBeUndefined();
    expect(messages[0]).toMatch(/memory reducer off: no gc function/);
    reducer.stop();
  });

  it('logs a failing collection and waits for more growth before trying again', () => {
    const messages: string[] = [];
    const gc = jest.fn<GcFunction>(() => {
      throw new Error('no');
    });
    const reducer = startMemoryReducer({
      gc,
      logger: { info: () => {}, warn: (_f, m) => messages.push(m), error: () => {} },
      intervalMs: 3_600_000,
      heapBytes: () => 50 * MIB,
      utilization: () => 0,
    });
    expect(reducer.check()).toBeUndefined();
    expect(reducer.check()).toBeUndefined();
    expect(gc).toHaveBeenCalledTimes(1);
    expect(messages).toEqual(['memory reducer: the collection failed']);
    reducer.stop();
  });

  it('refuses an interval that is not above 0', () => {
    expect(() => startMemoryReducer({ gc: () => undefined, intervalMs: 0 })).toThrow(RangeError);
  });
});
