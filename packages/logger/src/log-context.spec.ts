import { describe, expect, it } from '@jest/globals';
import { createLogger } from './create-logger.js';
import { getLogContext, runWithLogContext, withContext } from './log-context.js';
import { MemoryDestination } from './testing.js';

function memoryLogger() {
  const destination = new MemoryDestination();
  return { logger: createLogger({ service: 'gateway', destination }), destination };
}

describe('runWithLogContext and getLogContext', () => {
  it('expose the context only inside the callback', () => {
    expect(getLogContext()).toBeUndefined();

    const seen = runWithLogContext({ requestId: 'req-1' }, () => getLogContext());

    expect(seen).toEqual({ requestId: 'req-1' });
    expect(getLogContext()).toBeUndefined();
  });

  it('add nested fields to the outer context, skipping undefined ones', () => {
    const seen = runWithLogContext({ requestId: 'req-1', traceId: 'trace-1' }, () =>
      runWithLogContext({ spanId: 'span-2', traceId: undefined }, () => getLogContext()),
    );

    expect(seen).toEqual({ requestId: 'req-1', traceId: 'trace-1', spanId: 'span-2' });
  });

  it('keep the context across awaits and return the callback’s result', async () => {
    const result = await runWithLogContext({ requestId: 'req-async' }, async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return getLogContext()?.requestId;
    });

    expect(result).toBe('req-async');
  });
});

describe('context on log lines', () => {
  it('withContext puts its fields on every line of the child and its children', () => {
    const { logger, destination } = memoryLogger();
    const requestLogger = withContext(logger, {
      requestId: 'req-1',
      traceId: 'trace-1',
      spanId: undefined,
    });

    requestLogger.info('received');
    requestLogger.child({ step: 'reserve' }).warn('slow');
    logger.info('unrelated');

    const [received, slow, unrelated] = destination.records();
    expect(received).toMatchObject({ requestId: 'req-1', trace_id: 'trace-1' });
    expect(received).not.toHaveProperty('span_id');
    expect(slow).toMatchObject({ requestId: 'req-1', trace_id: 'trace-1', step: 'reserve' });
    expect(unrelated).not.toHaveProperty('requestId');
  });

  it('every line written inside runWithLogContext carries its fields, by any logger', async () => {
    const { logger, destination } = memoryLogger();
    const otherLogger = createLogger({ service: 'gateway', destination });

    await runWithLogContext({ requestId: 'req-2', traceId: 'trace-2' }, async () => {
      logger.info('before await');
      await new Promise<void>((resolve) => setImmediate(resolve));
      otherLogger.child({ component: 'grpc' }).info('after await');
    });
    logger.info('outside');

    const [before, after, outside] = destination.records();
    expect(before).toMatchObject({ requestId: 'req-2', trace_id: 'trace-2', msg: 'before await' });
    expect(after).toMatchObject({ requestId: 'req-2', trace_id: 'trace-2', component: 'grpc' });
    expect(outside).not.toHaveProperty('requestId');
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('lets bound and explicit fields win over the ambient context without repeating keys', () => {
    const { logger, destination } = memoryLogger();
    const bound = withContext(logger, { requestId: 'bound' });

    runWithLogContext({ requestId: 'ambient', traceId: 'trace-3' }, () => {
      bound.info('bound line');
      logger.info({ requestId: 'explicit' }, 'explicit line');
    });

    const [boundLine, explicitLine] = destination.text.trimEnd().split('\n');
    expect(boundLine?.match(/"requestId"/g)).toHaveLength(1);
    expect(JSON.parse(boundLine ?? '')).toMatchObject({ requestId: 'bound', trace_id: 'trace-3' });
    expect(explicitLine?.match(/"requestId"/g)).toHaveLength(1);
    expect(JSON.parse(explicitLine ?? '')).toMatchObject({
      requestId: 'explicit',
      trace_id: 'trace-3',
    });
  });

  it('names trace ids as OpenTelemetry log records do and keeps the traceparent off the line', () => {
    const { logger, destination } = memoryLogger();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    runWithLogContext(
      { traceparent, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
      () => logger.info('traced'),
    );
    withContext(logger, { traceparent, traceId: 'bound-trace', spanId: 'bound-span' }).info(
      'bound',
    );

    const [traced, bound] = destination.records();
    expect(traced).toMatchObject({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
    expect(bound).toMatchObject({ trace_id: 'bound-trace', span_id: 'bound-span' });
    for (const line of [traced, bound]) {
      expect(line).not.toHaveProperty('traceparent');
      expect(line).not.toHaveProperty('traceId');
      expect(line).not.toHaveProperty('spanId');
    }
  });
});
