import { describe, expect, it } from '@jest/globals';
import { OrderWaits, preferredWaitSeconds, type WaitOutcome } from './order-waits.js';

describe('OrderWaits', () => {
  const live = (maxWaiting = 10) => {
    const outcomes: WaitOutcome[] = [];
    const waits = new OrderWaits({ maxWaiting, onEnd: (outcome) => outcomes.push(outcome) });
    waits.setLive(true);
    return { waits, outcomes };
  };

  it("ends every wait of the order that changed, and no other order's", async () => {
    const { waits, outcomes } = live();
    const first = waits.watch('o-1', 10_000)!;
    const second = waits.watch('o-1', 10_000)!;
    const other = waits.watch('o-2', 10_000)!;

    waits.notify('o-1');

    expect(await first.ended).toBe('changed');
    expect(await second.ended).toBe('changed');
    expect(waits.waiting).toBe(1);
    other.cancel();
    expect(await other.ended).toBe('cancelled');
    expect(outcomes).toEqual(['changed', 'changed', 'cancelled']);
    expect(waits.waiting).toBe(0);
  });

  it('ends a wait at its timeout, once, whatever happens after', async () => {
    const { waits, outcomes } = live();
    const watch = waits.watch('o-1', 10)!;
    expect(await watch.ended).toBe('timeout');
    waits.notify('o-1');
    watch.cancel();
    expect(outcomes).toEqual(['timeout']);
  });

  it('starts no wait while the feed is not live, and ends them all when it goes away', async () => {
    const waits = new OrderWaits({ maxWaiting: 10 });
    expect(waits.watch('o-1', 10_000)).toBeUndefined();
    waits.setLive(true);
    const watches = [waits.watch('o-1', 10_000)!, waits.watch('o-2', 10_000)!];
    waits.setLive(false);
    expect(await Promise.all(watches.map((watch) => watch.ended))).toEqual([
      'not-live',
      'not-live',
    ]);
    expect(waits.watch('o-1', 10_000)).toBeUndefined();
  });

  it('lets no more than maxWaiting requests wait, and none after close', async () => {
    const { waits } = live(2);
    const watches = [waits.watch('o-1', 10_000)!, waits.watch('o-2', 10_000)!];
    expect(waits.watch('o-3', 10_000)).toBeUndefined();
    watches[0]!.cancel();
    expect(waits.watch('o-3', 10_000)).toBeDefined();
    waits.close();
    expect(await watches[1]!.ended).toBe('not-live');
    waits.setLive(true);
    expect(waits.live).toBe(false);
    expect(waits.watch('o-4', 10_000)).toBeUndefined();
  });
});

describe('preferredWaitSeconds', () => {
  it.each([
    ['wait=5', 5],
    ['WAIT = 7', 7],
    ['respond-async, wait=10', 10],
    ['wait="3"', 3],
    ['wait=600', 20],
    ['wait=0', undefined],
    ['wait=-1', undefined],
    ['wait=2.5', undefined],
    ['respond-async', undefined],
    ['handling=lenient', undefined],
    [undefined, undefined],
  ])('reads %p as %p', (header, seconds) => {
    expect(preferredWaitSeconds(header)).toBe(seconds);
  });
});
