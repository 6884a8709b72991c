// A reader of OTLP trace export requests (opentelemetry-proto, trace/v1 and collector/trace/v1) in
// the protobuf wire format: what the OTLP/HTTP exporter sends. Just enough of protobuf for these
// messages — varints, fixed 32/64-bit values and length-delimited fields — so a test can stand in
// for the trace backend with nothing but node:http.

/** Span kinds as OTLP numbers them. */
const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type ReceivedSpanKind = (typeof SPAN_KINDS)[number];

const STATUS_CODES = ['unset', 'ok', 'error'] as const;
export type ReceivedStatusCode = (typeof STATUS_CODES)[number];

export type AttributeValue = string | number | boolean | bigint | AttributeValue[] | undefined;

/** A span as the backend stores it, with the service that sent it. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** Undefined for a trace's root span. */
  parentSpanId: string | undefined;
  name: string;
  kind: ReceivedSpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, AttributeValue>;
  events: Array<{ name: string; attributes: Record<string, AttributeValue> }>;
  status: { code: ReceivedStatusCode; message: string };
}

class Reader {
  #offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#offset >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.#offset >= this.bytes.length) throw new Error('truncated varint');
      const byte = this.bytes[this.#offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint longer than 64 bits');
    }
  }

  fixed(bytes: 4 | 8): bigint {
    if (this.#offset + bytes > this.bytes.length) throw new Error('truncated fixed field');
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.#offset, bytes);
    this.#offset += bytes;
    return bytes === 4 ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
  }

  lengthDelimited(): Uint8Array {
    const length = Number(this.varint());
    if (this.#offset + length > this.bytes.length) throw new Error('truncated field');
    const slice = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }

  /** Each field of the message: its number and its raw value (a number or the bytes). */
  *fields(): Generator<{ field: number; value: bigint | Uint8Array }> {
    while (!this.done) {
      const tag = Number(this.varint());
      const field = tag >>> 3;
      switch (tag & 7) {
        case 0:
          yield { field, value: this.varint() };
          break;
        case 1:
          yield { field, value: this.fixed(8) };
          break;
        case 2:
          yield { field, value: this.lengthDelimited() };
          break;
        case 5:
          yield { field, value: this.fixed(4) };
          break;
        default:
          throw new Error(`unsupported protobuf wire type ${tag & 7}`);
      }
    }
  }
}

const text = (value: bigint | Uint8Array): string =>
  value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : '';
const hex = (value: bigint | Uint8Array): string =>
  value instanceof Uint8Array ? Buffer.from(value).toString('hex') : '';
const nested = (value: bigint | Uint8Array): Reader =>
  new Reader(value instanceof Uint8Array ? value : new Uint8Array());
const int = (value: bigint | Uint8Array): bigint => (typeof value === 'bigint' ? value : 0n);

function anyValue(reader: Reader): AttributeValue {
  let result: AttributeValue;
  for (const { field, value } of reader.fields()) {
    if (field === 1) result = text(value);
    else if (field === 2) result = int(value) !== 0n;
    else if (field === 3) {
      const signed = BigInt.asIntN(64, int(value));
      result = Number.isSafeInteger(Number(signed)) ? Number(signed) : signed;
    } else if (field === 4) {
      const buffer = new DataView(new ArrayBuffer(8));
      buffer.setBigUint64(0, int(value), true);
      result = buffer.getFloat64(0, true);
    } else if (field === 5) {
      const values: AttributeValue[] = [];
      for (const item of nested(value).fields())
        if (item.field === 1) values.push(anyValue(nested(item.value)));
      result = values;
    } else if (field === 7) result = hex(value);
  }
  return result;
}

function keyValues(into: Record<string, AttributeValue>, reader: Reader): void {
  let key = '';
  let attribute: AttributeValue;
  for (const { field, value } of reader.fields()) {
    if (field === 1) key = text(value);
    else if (field === 2) attribute = anyValue(nested(value));
  }
  into[key] = attribute;
}

function span(service: string, reader: Reader): ReceivedSpan {
  const received: ReceivedSpan = {
    service,
    traceId: '',
    spanId: '',
    parentSpanId: undefined,
    name: '',
    kind: 'unspecified',
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    status: { code: 'unset', message: '' },
  };
  for (const { field, value } of reader.fields()) {
    switch (field) {
      case 1:
        received.traceId = hex(value);
        break;
      case 2:
        received.spanId = hex(value);
        break;
      case 4: {
        const parent = hex(value);
        received.parentSpanId = parent === '' ? undefined : parent;
        break;
      }
      case 5:
        received.name = text(value);
        break;
      case 6:
        received.kind = SPAN_KINDS[Number(int(value))] ?? 'unspecified';
        break;
      case 7:
        received.startTimeUnixNano = int(value);
        break;
      case 8:
        received.endTimeUnixNano = int(value);
        break;
      case 9:
        keyValues(received.attributes, nested(value));
        break;
      case 11: {
        const event = { name: '', attributes: {} as Record<string, AttributeValue> };
        for (const item of nested(value).fields()) {
          if (item.field === 2) event.name = text(item.value);
          else if (item.field === 3) keyValues(event.attributes, nested(item.value));
        }
        received.events.push(event);
        break;
      }
      case 15:
        for (const item of nested(value).fields()) {
          if (item.field === 2) received.status.message = text(item.value);
          else if (item.field === 3)
            received.status.code = STATUS_CODES[Number(int(item.value))] ?? 'unset';
        }
        break;
    }
  }
  return received;
}

/** The spans of one `ExportTraceServiceRequest`, each with its resource's `service.name`. */
export function decodeTraceExport(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of new Reader(body).fields()) {
    if (resourceSpans.field !== 1) continue;
    const resource: Record<string, AttributeValue> = {};
    const scopes: Uint8Array[] = [];
    for (const { field, value } of nested(resourceSpans.value).fields()) {
      if (field === 1) {
        for (const item of nested(value).fields())
          if (item.field === 1) keyValues(resource, nested(item.value));
      } else if (field === 2 && value instanceof Uint8Array) scopes.push(value);
    }
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
    for (const scope of scopes) {
      for (const { field, value } of nested(scope).fields()) {
        if (field === 2) spans.push(span(service, nested(value)));
      }
    }
  }
  return spans;
}
