import type { LoadStats } from './stats.js';

/** The API operations the journeys call, named as in the gateway's OpenAPI document. */
export type Operation =
  | 'createToken'
  | 'listCategories'
  | 'listProducts'
  | 'getProduct'
  | 'createOrder'
  | 'getOrder'
  /** `getOrder` with `Prefer: wait`: its latency includes the wait for the payment outcome. */
  | 'awaitOrder'
  | 'listOrders';

/** How one call ended: a response (any status), or no response at all. */
export type CallResult<T> =
  | {
      kind: 'response';
      status: number;
      ok: boolean;
      body: T | undefined;
      /** The gateway's `Preference-Applied` header, when it sent one. */
      preferenceApplied?: string;
    }
  | { kind: 'timeout' | 'network-error' | 'aborted'; message: string };

/** What a call sends besides its method and path. */
export interface CallOptions {
  token?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Calls the gateway with fetch and records every outcome; never throws for an HTTP error, a
 * timeout or a refused connection — those are measurements, not failures of the generator.
 */
export class ApiClient {
  readonly #baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly stats: LoadStats,
    private readonly stopSignal: AbortSignal,
    private readonly requestTimeoutMs: number,
  ) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** One request; the latency covers sending it and reading the whole response body. */
  async call<T>(
    operation: Operation,
    method: 'GET' | 'POST',
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult<T>> {
    if (this.stopSignal.aborted) return { kind: 'aborted', message: 'the run was stopped' };
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const startedAt = performance.now();
    try {
      const response = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any([this.stopSignal, timeout]),
      });
      const text = await response.text();
      this.stats.recordResponse(operation, response.status, performance.now() - startedAt);
      return {
        kind: 'response',
        status: response.status,
        ok: response.ok,
        body: response.ok ? parseJson<T>(text) : undefined,
        ...(response.headers.has('preference-applied')
          ? { preferenceApplied: response.headers.get('preference-applied')! }
          : {}),
      };
    } catch (error) {
      if (this.stopSignal.aborted) {
        this.stats.recordAborted();
        return { kind: 'aborted', message: 'the run was stopped' };
      }
      const kind = timeout.aborted ? 'timeout' : 'network-error';
      this.stats.recordNoResponse(operation, kind);
      return { kind, message: describeError(error) };
    }
  }
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the socket error (ECONNREFUSED, ECONNRESET…) in a generic "fetch failed".
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
