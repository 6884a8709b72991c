// A real OTLP/HTTP trace receiver on loopback, for suites that run where the trace backend cannot:
// it accepts exactly what Jaeger's and the OpenTelemetry Collector's OTLP receivers accept on
// POST /v1/traces (protobuf, optionally gzip) and keeps the spans for the test to read.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceExport, type ReceivedSpan } from './otlp-protobuf.js';

export { decodeTraceExport, type ReceivedSpan } from './otlp-protobuf.js';

export interface OtlpReceiver {
  /** The base URL to give exporters (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  /** How many export requests were answered. */
  readonly requests: number;
  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[];
  /** Forgets every span received so far. */
  clear(): void;
  /** Resolves with the spans once `done(spans)` holds for everything received (polls every 50 ms). */
  waitFor<T>(
    done: (spans: readonly ReceivedSpan[]) => T | undefined,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/** Starts an OTLP/HTTP receiver on 127.0.0.1 (a free port unless one is given). */
export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (!String(req.headers['content-type']).startsWith('application/x-protobuf')) {
      res.writeHead(415).end();
      return;
    }
    bodyOf(req).then(
      (body) => {
        try {
          spans.push(...decodeTraceExport(body));
        } catch (error) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
          return;
        }
        requests += 1;
        // An empty ExportTraceServiceResponse: everything was accepted.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    spans,
    get requests() {
      return requests;
    },
    trace: (traceId) => spans.filter((span) => span.traceId === traceId),
    clear: () => void spans.splice(0),
    async waitFor(done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = done(spans);
        if (result !== undefined && result !== false) return result;
        if (Date.now() > deadline) {
          throw new Error(
            `the spans expected did not arrive in ${timeoutMs} ms (${spans.length} received)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * What is wrong with a trace's parent links, as readable lines (empty when nothing is): every span
 * but one root names a parent that is in the trace, and there is exactly one root.
 */
export function brokenLinks(spans: readonly ReceivedSpan[]): string[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const problems: string[] = [];
  const roots = spans.filter((span) => span.parentSpanId === undefined);
  if (roots.length !== 1)
    problems.push(
      `${roots.length} roots: ${roots.map((span) => `${span.service} ${span.name}`).join(', ')}`,
    );
  for (const span of spans) {
    if (span.parentSpanId !== undefined && !ids.has(span.parentSpanId))
      problems.push(
        `${span.service} "${span.name}" names parent ${span.parentSpanId}, not in the trace`,
      );
  }
  return problems;
}

/** The chain of spans from the trace's root down to `span` (root first). */
export function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  const chain = [span];
  let current = span;
  while (current.parentSpanId !== undefined) {
    const parent = byId.get(current.parentSpanId);
    if (parent === undefined || chain.includes(parent)) break;
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}
