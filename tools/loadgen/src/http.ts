import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
 * Calls the gateway over keep-alive connections and records every outcome; never throws for an
 * HTTP error, a timeout or a refused connection — those are measurements, not failures of the
 * generator. `node:http` rather than `fetch`: the generator shares the machine with what it
 * measures, and fetch cost it ~1.5× the CPU per request (`bench/scripts/loadgen-client.mjs`:
 * 495–533 against 321–346 µs with a 30 kB answer, 412–475 against 285–307 with 600 bytes).
 */
export class ApiClient {
  readonly #baseUrl: string;
  readonly #send: typeof httpRequest;
  /** One pool of kept-alive connections, as many as the journeys in flight need. */
  readonly #agent: HttpAgent;

  constructor(
    baseUrl: string,
    private readonly stats: LoadStats,
    private readonly stopSignal: AbortSignal,
    private readonly requestTimeoutMs: number,
  ) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    const https = new URL(this.#baseUrl).protocol === 'https:';
    this.#send = https ? httpsRequest : httpRequest;
    this.#agent = https
      ? new HttpsAgent({ keepAlive: true, scheduling: 'lifo' })
      : new HttpAgent({ keepAlive: true, scheduling: 'lifo' });
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
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = AbortSignal.any([this.stopSignal, timeout]);
    const url = `${this.#baseUrl}${path}`;
    const startedAt = performance.now();
    try {
      let response;
      try {
        response = await this.#exchange(url, method, headers, body, signal);
      } catch (error) {
        // A kept-alive connection the server closed (its keep-alive timeout) just as this request
        // went out on it: nothing reached the server, so a request safe to repeat goes again on a
        // new connection, as browsers do and as Node.js documents for `request.reusedSocket`.
        const repeatable = method === 'GET' || headers['Idempotency-Key'] !== undefined;
        if (!(error instanceof ClosedConnectionError) || !repeatable || signal.aborted) throw error;
        this.stats.recordResent();
        response = await this.#exchange(url, method, headers, body, signal);
      }
      this.stats.recordResponse(operation, response.status, performance.now() - startedAt);
      const ok = response.status >= 200 && response.status < 300;
      return {
        kind: 'response',
        status: response.status,
        ok,
        body: ok ? parseJson<T>(response.text) : undefined,
        ...(response.preferenceApplied === undefined
          ? {}
          : { preferenceApplied: response.preferenceApplied }),
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

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  /** Sends the request and reads the whole response; rejects when the signal aborts either. */
  #exchange(
    url: string,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<{ status: number; text: string; preferenceApplied: string | undefined }> {
    return new Promise((resolve, reject) => {
      const request = this.#send(
        url,
        { method, headers, agent: this.#agent, signal },
        (response: IncomingMessage) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('error', reject);
          response.on('end', () => {
            const preference = response.headers['preference-applied'];
            resolve({
              status: response.statusCode ?? 0,
              text,
              preferenceApplied: Array.isArray(preference) ? preference.join(', ') : preference,
            });
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
            ? new ClosedConnectionError(error)
            : error,
        );
      });
      request.end(body);
    });
  }
}

/** The request went out on a kept-alive connection the server had closed: it never got there. */
class ClosedConnectionError extends Error {
  constructor(cause: Error) {
    super(`the kept-alive connection was closed by the server: ${cause.message}`, { cause });
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
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
