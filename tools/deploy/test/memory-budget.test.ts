import { describe, expect, it } from '@jest/globals';
import { OVERLAYS, renderOverlay, serviceWorkload } from './k8s-support.js';
import { readCompose } from './support/compose.js';
import { bytes } from './support/quantities.js';
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
