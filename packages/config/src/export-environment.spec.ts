import { describe, expect, it } from '@jest/globals';
import { childEnvironment, exportEnvironment } from './export-environment.js';
import { loadConfig } from './load-config.js';
import { z } from 'zod';

describe('exportEnvironment', () => {
  it('makes values visible to the next loadConfig and skips undefined ones', () => {
    exportEnvironment({ MERCATO_EXPORT_TEST: 'from-harness', MERCATO_EXPORT_UNSET: undefined });
    const config = loadConfig(
      z.object({ MERCATO_EXPORT_TEST: z.string(), MERCATO_EXPORT_UNSET: z.string().optional() }),
    );
    expect(config).toEqual({ MERCATO_EXPORT_TEST: 'from-harness' });
  });
});

describe('childEnvironment', () => {
  it("passes this process's variables on, overlaid with the given values", () => {
    exportEnvironment({ MERCATO_CHILD_INHERITED: 'inherited', MERCATO_CHILD_OVERRIDDEN: 'parent' });
    const environment = childEnvironment({
      MERCATO_CHILD_OVERRIDDEN: 'child',
      MERCATO_CHILD_UNSET: undefined,
    });
    expect(environment).toMatchObject({
      MERCATO_CHILD_INHERITED: 'inherited',
      MERCATO_CHILD_OVERRIDDEN: 'child',
    });
    expect(environment).not.toHaveProperty('MERCATO_CHILD_UNSET');
    expect(environment.PATH).toBeTruthy();
  });
});
