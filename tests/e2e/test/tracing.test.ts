import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiProduct, ShopApi } from '@mercato/shop/testing';
import {
  ancestry,
  brokenLinks,
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@mercato/tracing/testing';
import { shopKafka, startTestShop, type TestShop } from './support/shop.js';

const TRACED = ['gateway', 'product', 'order', 'payment'] as const;
const TRACE_UI_URL = 'http://jaeger.mercato.test:16686';
/** Each service's `service.name` on its spans. */
const NAMES = {
  gateway: 'gateway',
  product: 'product-service',
  order: 'order-service',
  payment: 'payment-service',
} as const;

/** The trace id of a response's `traceparent` (the gateway's server span). */
function traceIdOf(headers: Headers): string {
  const traceparent = headers.get('traceparent') ?? '';
  const match = /^00-([\da-f]{32})-[\da-f]{16}-01$/.exec(traceparent);
  if (!match) throw new Error(`the response has no sampled traceparent: "${traceparent}"`);
  return match[1]!;
}

const describeSpan = (span: ReceivedSpan) => `${span.service} ${span.kind} ${span.name}`;
const isKind = (span: ReceivedSpan, service: keyof typeof NAMES, kind: ReceivedSpan['kind']) =>
  span.service === NAMES[service] && span.kind === kind;
const eventType = (span: ReceivedSpan) => span.attributes['mercato.event.type'];

describe('one trace per checkout, across REST, gRPC and Kafka (every service exporting over OTLP)', () => {
  let test: TestShop;
  let otlp: OtlpReceiver;
  let customer: ShopApi;
  let product: ApiProduct;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_TRACES_SAMPLER_ARG: '1' };
    test = await startTestShop({
      env: {
        ...Object.fromEntries(TRACED.map((service) => [service, tracing])),
        gateway: { ...tracing, TRACE_UI_URL },
      },
    });
    customer = await ShopApi.signIn(test.shop.gatewayUrl, 'demo-alice');
    product = (await customer.allProducts()).find((each) => each.stockAvailable >= 5)!;
  }, 180_000);
  afterAll(async () => {
    await test?.shop.stop();
    await otlp?.close();
  });

  it('follows a paid order from the gateway through order, payment and product, both Kafka hops and the outbox relays included', async () => {
    const placed = await customer.placeOrder(
      [{ productId: product.id, quantity: 1 }],
      'tok_success',
    );
    expect(placed.status).toBe(201);
    const traceId = traceIdOf(placed.headers);
    expect((await customer.waitForTerminal(placed.body.id)).status).toBe('PAID');
    // The order names its trace, so a customer's report leads straight to it.
    expect(placed.body).toMatchObject({ traceId, traceUrl: `${TRACE_UI_URL}/trace/${traceId}` });
    expect((await customer.order(placed.body.id)).body).toMatchObject({ traceId });

    // The last step of the saga is the product service committing the stock on order.paid.
    const trace = await otlp.waitFor(() => {
      const spans = otlp.trace(traceId);
      const committed = spans.find(
        (span) => isKind(span, 'product', 'consumer') && eventType(span) === 'order.paid.v1',
      );
      // Each service sends its spans in batches, once a second: wait until every link is there.
      return committed &&
        spans.some((span) => span.parentSpanId === committed.spanId) &&
        brokenLinks(spans).length === 0
        ? spans
        : undefined;
    });

    expect(new Set(trace.map((span) => span.service))).toEqual(new Set(Object.values(NAMES)));
    expect(brokenLinks(trace)).toEqual([]);
    const [root] = trace.filter((span) => span.parentSpanId === undefined);
    expect(root).toMatchObject({
      service: 'gateway',
      kind: 'server',
      name: 'POST /api/v1/orders',
      attributes: { 'http.route': '/api/v1/orders', 'http.response.status_code': 201 },
    });

    // gateway → order over gRPC: a client span and the server span under it.
    const createClient = trace.find(
      (span) => isKind(span, 'gateway', 'client') && span.name.endsWith('/CreateOrder'),
    )!;
    const createServer = trace.find(
      (span) => isKind(span, 'order', 'server') && span.name.endsWith('/CreateOrder'),
    )!;
    expect(createClient.parentSpanId).toBe(root!.spanId);
    expect(createServer.parentSpanId).toBe(createClient.spanId);
    expect(createServer.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.grpc.status_code': 0,
    });
    // The order service's queries are in the trace, under its server span.
    expect(
      trace.some(
        (span) =>
          span.service === NAMES.order &&
          span.attributes['db.operation.name'] === 'INSERT' &&
          ancestry(trace, span).includes(createServer),
      ),
    ).toBe(true);

    // Each event: the relay's PRODUCER span, and the consuming service's CONSUMER span under it.
    const hops = [
      ['order.created.v1', 'order', 'payment'],
      ['payment.succeeded.v1', 'payment', 'order'],
      ['order.paid.v1', 'order', 'product'],
    ] as const;
    for (const [type, from, to] of hops) {
      const sent = trace.find((span) => isKind(span, from, 'producer') && eventType(span) === type);
      expect(sent && describeSpan(sent)).toBe(
        `${NAMES[from]} producer send ${String(sent?.attributes['messaging.destination.name'])}`,
      );
      expect(sent!.attributes).toMatchObject({ 'messaging.system': 'kafka' });
      expect(sent!.events.map((event) => event.name)).toContain('selected by the outbox relay');
      const processed = trace.find(
        (span) => isKind(span, to, 'consumer') && span.parentSpanId === sent!.spanId,
      );
      expect(processed && eventType(processed)).toBe(type);
      expect(processed!.attributes['mercato.processing.outcome']).toBe('processed');
    }

    // The whole saga is one chain of parents: edge → order → payment → order → product.
    const committed = trace.find(
      (span) => isKind(span, 'product', 'consumer') && eventType(span) === 'order.paid.v1',
    )!;
    const services = ancestry(trace, committed).map((span) => span.service);
    const hopsTaken = services.filter((service, n) => service !== services[n - 1]);
    expect(hopsTaken).toEqual(
      (['gateway', 'order', 'payment', 'order', 'product'] as const).map((name) => NAMES[name]),
    );

    // The payment service checked the order with the order service: its call is in the trace too.
    const getOrder = trace.find(
      (span) => isKind(span, 'payment', 'client') && span.name.endsWith('/GetOrder'),
    );
    expect(getOrder).toBeDefined();
    expect(trace.find((span) => span.parentSpanId === getOrder!.spanId)?.service).toBe(NAMES.order);
    const charge = trace.find((span) => span.name === 'charge payment')!;
    expect(charge).toMatchObject({
      service: NAMES.payment,
      status: { code: 'unset' },
      attributes: { 'mercato.payment.outcome': 'succeeded' },
    });
  });

  it('shows a declined payment as an error in the order’s trace', async () => {
    const placed = await customer.placeOrder(
      [{ productId: product.id, quantity: 1 }],
      'tok_declined',
    );
    expect(placed.status).toBe(201);
    const traceId = traceIdOf(placed.headers);
    expect((await customer.waitForTerminal(placed.body.id)).status).toBe('CANCELLED');

    const charge = await otlp.waitFor(() =>
      otlp.trace(traceId).find((span) => span.name === 'charge payment'),
    );
    expect(charge).toMatchObject({
      service: NAMES.payment,
      status: { code: 'error', message: 'payment declined: card_declined' },
      attributes: { 'mercato.payment.outcome': 'declined' },
    });
    // The payment.failed event still travels on in the same trace, to the order service.
    const trace = await otlp.waitFor(() => {
      const spans = otlp.trace(traceId);
      const failed = spans.find(
        (span) => isKind(span, 'order', 'consumer') && eventType(span) === 'payment.failed.v1',
      );
      return failed && brokenLinks(spans).length === 0 ? spans : undefined;
    });
    expect(trace.filter((span) => span.status.code === 'error').map((span) => span.name)).toEqual([
      'charge payment',
    ]);
  });

  it('leaves the trace id off an order whose checkout was not sampled', async () => {
    const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const placed = await customer.request<{
      id: string;
      traceId: string | null;
      traceUrl: string | null;
    }>('POST', '/orders', {
      body: { lines: [{ productId: product.id, quantity: 1 }], paymentToken: 'tok_success' },
      headers: { 'idempotency-key': 'trace-unsampled-1', traceparent: unsampled },
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ traceId: null, traceUrl: null });
    // The caller's decision is kept: its trace goes on unsampled, and nothing of it is recorded.
    expect(placed.headers.get('traceparent')).toMatch(
      /^00-0af7651916cd43dd8448eb211c80319c-[\da-f]{16}-00$/,
    );
    await customer.waitForTerminal(placed.body.id);
    expect(otlp.trace('0af7651916cd43dd8448eb211c80319c')).toEqual([]);
  });

  it('puts the trace id in a problem+json answer, so a user report leads to the trace', async () => {
    const response = await customer.request<{ traceId?: string; status: number }>(
      'POST',
      '/orders',
      {
        body: { lines: [], paymentToken: 'tok_success' },
        headers: { 'idempotency-key': 'trace-problem-1' },
      },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const traceId = traceIdOf(response.headers);
    expect(response.body.traceId).toBe(traceId);
    const server = await otlp.waitFor(() =>
      otlp.trace(traceId).find((span) => isKind(span, 'gateway', 'server')),
    );
    expect(server).toMatchObject({
      name: 'POST /api/v1/orders',
      attributes: { 'http.response.status_code': 400 },
      status: { code: 'unset' },
    });
  });

  it('shows a dead-lettered message as an error, under the trace that sent it', async () => {
    const traceId = 'd1e5a7c0ffee0000000000000000beef';
    const parentSpanId = '00f067aa0ba902b7';
    const producer = shopKafka(test, 'e2e-tracing').producer();
    await producer.connect();
    try {
      await producer.send({
        topic: `${test.shop.kafkaNamespace}orders`,
        messages: [
          {
            key: 'poison-1',
            value: '{"id": 1,',
            headers: { traceparent: `00-${traceId}-${parentSpanId}-01` },
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    // Both groups that read the orders topic (payment and product) park it on the dead-letter topic.
    const parked = await otlp.waitFor(() => {
      const spans = otlp.trace(traceId);
      const consumers = spans.filter((span) => span.kind === 'consumer');
      const dlqSends = spans.filter(
        (span) =>
          span.kind === 'producer' &&
          String(span.attributes['messaging.destination.name']).endsWith('orders.dlq'),
      );
      return consumers.length >= 2 && dlqSends.length >= 2 ? { consumers, dlqSends } : undefined;
    });
    for (const consumer of parked.consumers) {
      expect(consumer).toMatchObject({
        parentSpanId,
        status: { code: 'error' },
        attributes: { 'mercato.processing.outcome': 'dead_lettered' },
      });
      expect(consumer.status.message).toMatch(/^not a valid event, dead-lettered/);
    }
    expect(new Set(parked.consumers.map((span) => span.service))).toEqual(
      new Set([NAMES.payment, NAMES.product]),
    );
    for (const sent of parked.dlqSends) {
      expect(parked.consumers.map((span) => span.spanId)).toContain(sent.parentSpanId);
    }
  });
});
