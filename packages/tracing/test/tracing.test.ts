import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { getLogContext, runWithLogContext } from '@mercato/logger';
import {
  SpanKind,
  inChildSpan,
  openSpan,
  tracedQuery,
  tracingActive,
  type OpenSpan,
} from '@mercato/tracing';
import { startTracing, type Tracing } from '@mercato/tracing/sdk';
import { startServiceTracing } from '@mercato/tracing/service';
import { brokenLinks, startOtlpReceiver, type OtlpReceiver } from '@mercato/tracing/testing';

const REMOTE_SAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const REMOTE_UNSAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

let tracing: Tracing | undefined;
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await tracing?.shutdown();
  await receiver?.close();
  tracing = undefined;
  receiver = undefined;
});

async function traced(sampleRatio = 1): Promise<OtlpReceiver> {
  receiver = await startOtlpReceiver();
  tracing = startTracing({
    serviceName: 'tracing-test',
    endpoint: receiver.url,
    sampleRatio,
    exportDelayMs: 50,
  });
  return receiver;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('spans over OTLP', () => {
  it('records nothing and changes no context while tracing is off', async () => {
    expect(tracingActive()).toBe(false);
    expect(openSpan('GET /', { kind: SpanKind.SERVER, root: true })).toBeUndefined();
    const inside = await runWithLogContext({ traceparent: REMOTE_SAMPLED }, () =>
      inChildSpan('work', {}, async (span) => ({ span, context: getLogContext() })),
    );
    expect(inside.span).toBeUndefined();
    expect(inside.context?.traceparent).toBe(REMOTE_SAMPLED);
  });

  it('sends a trace of a server span, a child span and a failed query, with parent links and the service name', async () => {
    const otlp = await traced();
    const server = openSpan('GET /api/v1/things/:id', {
      kind: SpanKind.SERVER,
      parent: REMOTE_SAMPLED,
      root: true,
      attributes: { 'http.request.method': 'GET' },
    })!;
    expect(server.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(server.traceparent).toBe(`00-${server.traceId}-${server.spanId}-01`);
    await runWithLogContext({ traceparent: server.traceparent }, () =>
      inChildSpan('load thing', {}, async () => {
        await expect(
          tracedQuery('SELECT * FROM things WHERE id = $1', () =>
            Promise.reject(new Error('relation "things" does not exist')),
          ),
        ).rejects.toThrow('does not exist');
      }),
    );
    server.span.end();

    const spans = await otlp.waitFor((all) => (all.length >= 3 ? all : undefined));
    const byName = new Map(spans.map((span) => [span.name, span]));
    const root = byName.get('GET /api/v1/things/:id')!;
    const child = byName.get('load thing')!;
    const query = byName.get('SELECT things')!;
    expect(root).toMatchObject({
      service: 'tracing-test',
      kind: 'server',
      traceId: server.traceId,
      spanId: server.spanId,
      parentSpanId: '00f067aa0ba902b7',
      attributes: { 'http.request.method': 'GET' },
    });
    expect(child).toMatchObject({ kind: 'internal', parentSpanId: root.spanId });
    expect(query).toMatchObject({
      kind: 'client',
      parentSpanId: child.spanId,
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': 'SELECT',
        'db.query.text': 'SELECT * FROM things WHERE id = $1',
      },
      status: { code: 'error', message: 'relation "things" does not exist' },
    });
    expect(query.events.map((event) => event.name)).toEqual(['exception']);
    expect(query.endTimeUnixNano).toBeGreaterThanOrEqual(query.startTimeUnixNano);
    // Everything but the remote parent is in the trace; that parent is the one outside link.
    expect(brokenLinks(spans)).toEqual([
      '0 roots: ',
      'tracing-test "GET /api/v1/things/:id" names parent 00f067aa0ba902b7, not in the trace',
    ]);
  });

  it('starts no span of its own outside a trace: a query or a call in background work costs nothing', async () => {
    const otlp = await traced();
    await tracedQuery('SELECT 1', () => Promise.resolve(1));
    expect(
      openSpan('mercato.product.v1.ProductService/GetProduct', {
        kind: SpanKind.CLIENT,
        root: false,
      }),
    ).toBeUndefined();
    const entry = openSpan('process order.created', { kind: SpanKind.CONSUMER, root: true })!;
    entry.span.end();
    await tracing!.flush();
    expect(otlp.spans.map((span) => span.name)).toEqual(['process order.created']);
    expect(otlp.spans[0]?.parentSpanId).toBeUndefined();
  });

  it('follows an unsampled parent: no span, and the caller keeps passing the parent on', async () => {
    const otlp = await traced();
    expect(
      openSpan('GET /', { kind: SpanKind.SERVER, parent: REMOTE_UNSAMPLED, root: true }),
    ).toBeUndefined();
    await runWithLogContext({ traceparent: REMOTE_UNSAMPLED }, () =>
      inChildSpan('work', {}, async (span) => expect(span).toBeUndefined()),
    );
    await tracing!.flush();
    expect(otlp.spans).toEqual([]);
  });

  it('samples new traces by ratio: at 0 a root gets ids (flags 00) but nothing is sent', async () => {
    const otlp = await traced(0);
    const root = openSpan('GET /', { kind: SpanKind.SERVER, root: true }) as OpenSpan;
    expect(root.sampled).toBe(false);
    expect(root.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-00$/);
    root.span.end();
    await tracing!.flush();
    expect(otlp.spans).toEqual([]);
  });

  it('keeps working when the trace backend is unreachable, and reports each failed export', async () => {
    const failures: Error[] = [];
    tracing = startTracing({
      serviceName: 'tracing-test',
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      sampleRatio: 1,
      exportDelayMs: 20,
      onExportError: (error) => failures.push(error),
    });
    const result = await runWithLogContext({ traceparent: REMOTE_SAMPLED }, () =>
      inChildSpan('work', {}, async () => 'done'),
    );
    expect(result).toBe('done');
    // The export retries a refused connection, then gives up when its 5 s time-out is over.
    const deadline = Date.now() + 20_000;
    while (failures.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(failures.length).toBeGreaterThan(0);
    // Shutting down with spans still unsent does not fail either.
    await runWithLogContext({ traceparent: REMOTE_SAMPLED }, () =>
      inChildSpan('late', {}, async () => undefined),
    );
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  }, 40_000);
});

describe('startServiceTracing', () => {
  const logger = () => {
    const lines: Array<{ level: 'warn' | 'info'; details: object; message: string }> = [];
    return {
      lines,
      warn: (details: object, message: string) => lines.push({ level: 'warn', details, message }),
      info: (details: object, message: string) => lines.push({ level: 'info', details, message }),
    };
  };

  it('stays off, saying nothing, without an endpoint', async () => {
    const log = logger();
    const off = await startServiceTracing({
      service: 'svc',
      config: { OTEL_TRACES_SAMPLER_ARG: 1 },
      logger: log,
    });
    expect(off.enabled).toBe(false);
    expect(tracingActive()).toBe(false);
    expect(log.lines).toEqual([]);
  });

  it('records spans once an endpoint is set, says where they go, and sends them under the service name', async () => {
    receiver = await startOtlpReceiver();
    const log = logger();
    tracing = await startServiceTracing({
      service: 'svc',
      config: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER_ARG: 0.5 },
      logger: log,
    });
    expect(tracing.enabled).toBe(true);
    expect(log.lines).toEqual([
      {
        level: 'info',
        details: { endpoint: receiver.url, sampleRatio: 0.5 },
        message: 'Tracing on: spans are sent over OTLP',
      },
    ]);
    openSpan('work', { kind: SpanKind.INTERNAL, parent: REMOTE_SAMPLED, root: false })!.span.end();
    await tracing.flush();
    expect(receiver.spans.map((span) => [span.service, span.name])).toEqual([['svc', 'work']]);
  });
});
