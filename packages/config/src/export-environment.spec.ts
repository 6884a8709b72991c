import { describe, expect, it } from '@jest/globals';
import { exportEnvironment } from './export-environment.js';
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
