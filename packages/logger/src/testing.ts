import { Writable } from 'node:stream';

/** One parsed JSON log line. */
export type LogRecord = Record<string, unknown>;

/**
 * An in-memory destination for `createLogger({ destination })`, so tests can read exactly what
 * a logger wrote. JSON loggers write to it synchronously; pretty output arrives through a
 * stream pipeline, so await {@link MemoryDestination.waitForWrites} before reading it.
 */
export class MemoryDestination extends Writable {
  readonly #chunks: string[] = [];
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.#chunks.push(chunk.toString());
    for (const waiter of this.#waiters.filter(({ count }) => count <= this.#chunks.length)) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    callback();
  }

  /** Everything written so far, verbatim. */
  get text(): string {
    return this.#chunks.join('');
  }

  /** Every line written so far, parsed as JSON. */
  records(): LogRecord[] {
    return this.text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as LogRecord);
  }

  /** Resolves once at least `count` writes have arrived in total. */
  waitForWrites(count: number): Promise<void> {
    if (this.#chunks.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}
