import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repositoryRoot, serviceNodeOptions, SHOP_SERVICES } from './services.js';

describe('serviceNodeOptions', () => {
  it.each(SHOP_SERVICES)("is the %s image's NODE_OPTIONS, a heap budget", (service) => {
    const dockerfile = readFileSync(
      join(repositoryRoot(), 'services', service, 'Dockerfile'),
      'utf8',
    );
    const flags = serviceNodeOptions(service);

    expect(dockerfile).toContain(`\nENV NODE_OPTIONS="${flags.join(' ')}"\n`);
    expect(flags).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--max-old-space-size=\d+$/),
        expect.stringMatching(/^--max-semi-space-size=\d+$/),
      ]),
    );
  });
});
