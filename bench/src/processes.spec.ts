import { describe, expect, it } from '@jest/globals';
import { SHOP_SERVICES, serviceNodeOptions } from '@mercato/shop';
import { imageNodeFlags, targetNodeFlags } from './processes.js';

describe('imageNodeFlags', () => {
  it.each(SHOP_SERVICES)("is the %s image's NODE_OPTIONS, as the shop passes them", (service) => {
    const flags = imageNodeFlags(`@mercato/${service}-service`);
    expect(flags).toEqual(serviceNodeOptions(service));
    expect(flags.length).toBeGreaterThan(0);
  });

  it('is empty for a package that is not a shop service', () => {
    expect(imageNodeFlags('@mercato/bench')).toEqual([]);
    expect(imageNodeFlags('@mercato/catalog-service')).toEqual([]);
  });
});

describe('targetNodeFlags', () => {
  it("runs the gateway with the product service in-process with the gateway image's flags", () => {
    expect(targetNodeFlags('in-process-gateway')).toEqual(serviceNodeOptions('gateway'));
  });

  it('runs the reference servers and the OTLP sink with none', () => {
    for (const script of ['raw-http', 'express', 'otlp-sink'] as const)
      expect(targetNodeFlags(script)).toEqual([]);
  });
});
