import { describe, expect, it } from '@jest/globals';
import { OVERLAYS, renderOverlay, serviceWorkload } from './k8s-support.js';
import { readCompose } from './support/compose.js';
import { bytes } from './support/quantities.js';
import { redisBytes, redisOptions, respCommand, startRedisServer } from './support/redis-server.js';
import { imageNodeOptions, SERVICES, type ServiceName } from './support/repository.js';

// docs/decisions.md D32: the old generation gets at most half of the memory limit; the other half
// is for what V8's heap limit does not cover (the node binary's pages, malloc, Buffers, the young
// generation).
const HEAP_SHARE_OF_LIMIT = 0.5;

const MIB = 2 ** 20;

/** The value of `--name=N` in a NODE_OPTIONS string. */
function flagValue(nodeOptions: string | undefined, name: string): number | undefined {
  const match = new RegExp(`(?:^|\\s)--${name}=(\\d+)(?:\\s|$)`).exec(nodeOptions ?? '');
  return match ? Number(match[1]) : undefined;
}

describe.each(SERVICES)('the memory budget of %s', (service: ServiceName) => {
  const image = imageNodeOptions(service);

  it('is set in its image: old and young generation sizes in NODE_OPTIONS', () => {
    expect({
      oldSpaceMiB: flagValue(image, 'max-old-space-size'),
      semiSpaceMiB: flagValue(image, 'max-semi-space-size'),
    }).toEqual({ oldSpaceMiB: expect.any(Number), semiSpaceMiB: expect.any(Number) });
  });

  it.each(OVERLAYS)('fits the memory limit of its pods in overlay %s', (overlay) => {
    const [container] = serviceWorkload(renderOverlay(overlay), service).pod.containers;
    // A NODE_OPTIONS the overlay gives the container replaces the image's.
    const given = container!.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value;
    const oldSpace = (flagValue(given ?? image, 'max-old-space-size') ?? Infinity) * MIB;
    const limit = bytes(container!.resources?.limits?.memory);
    const request = bytes(container!.resources?.requests?.memory);
    expect({
      heapWithinShare: oldSpace <= limit * HEAP_SHARE_OF_LIMIT,
      requestWithinLimit: request <= limit,
    }).toEqual({
      heapWithinShare: true,
      requestWithinLimit: true,
    });
  });

  it("gets the pods' memory limit in docker-compose.yml", () => {
    const [container] = serviceWorkload(renderOverlay('dev'), service).pod.containers;
    expect(bytes(readCompose().services[service]?.mem_limit)).toBe(
      bytes(container!.resources?.limits?.memory),
    );
  });
});

// One gateway counter per command, as the gateway's limiter writes them: INCR, and the window's
// expiry on the first hit (services/gateway/src/edge/shared-limiter.ts). Distinct clients, more
// than 48 MiB hold, so Redis has to evict all along.
const COUNTER_SCRIPT =
  "local hits = redis.call('INCR', KEYS[1]) if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return hits";
const CLIENTS = 450_000;
const WINDOW_MS = '60000';

function* counterCommands(sha: string): Generator<string> {
  const batch: string[] = [];
  for (let client = 0; client < CLIENTS; client += 1) {
    const address = `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}`;
    batch.push(
      respCommand(['EVALSHA', sha, '1', `mercato:ratelimit:600-in-1m:ip:${address}`, WINDOW_MS]),
    );
    if (batch.length === 10_000) yield batch.splice(0).join('');
  }
  if (batch.length > 0) yield batch.join('');
}

describe('the memory budget of the rate-limit Redis', () => {
  const redisContainer = (overlay: string) => {
    const [container] = serviceWorkload(renderOverlay(overlay), 'redis').pod.containers;
    const [program, ...args] = container!.args ?? [];
    expect(program).toBe('redis-server');
    return { container: container!, options: redisOptions(args), args };
  };

  it('gets the pods’ memory limit in docker-compose.yml', () => {
    expect(bytes(readCompose().services.redis?.mem_limit)).toBe(
      bytes(redisContainer('prod').container.resources?.limits?.memory),
    );
  });

  it('stays inside its pods’ memory limit when clients’ counters fill it past maxmemory', async () => {
    const { container, options, args } = redisContainer('prod');
    const limit = bytes(container.resources?.limits?.memory);
    const maxmemory = redisBytes(options.maxmemory?.[0]);
    const redis = await startRedisServer(args);
    try {
      const sha = (await redis.cli('script', 'load', COUNTER_SCRIPT)).trim();
      const { errors, replies } = await redis.pipe(counterCommands(sha));
      const memory = await redis.info('memory');
      const stats = await redis.info('stats');
      expect({ errors, replies }).toEqual({ errors: 0, replies: CLIENTS });
      expect(Number(stats.evicted_keys)).toBeGreaterThan(0);
      // Eviction keeps the data at maxmemory (one counter over at most) ...
      expect(Number(memory.used_memory)).toBeLessThan(maxmemory * 1.01);
      // ... and the process, fragmentation included, inside the pods' limit (~68 MiB measured).
      expect(Number(memory.used_memory_rss)).toBeLessThan(limit);
    } finally {
      await redis.stop();
    }
  });
});
