/**
 * The life cycle that background workers made of passes share (the outbox relay, the retention
 * sweep): `start()` runs a loop until `stop()`, and a pass asked for explicitly never overlaps the
 * loop's own, so a worker's state is only ever touched by one pass at a time.
 */
export class BackgroundPasses {
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #pass: Promise<unknown> = Promise.resolve();

  /** Aborted from the moment `stop()` is called until it has finished. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Runs `loop` in the background unless it runs already; it must end once `signal` aborts. */
  start(loop: (signal: AbortSignal) => Promise<void>): void {
    if (this.#loop) return;
    this.#stopping = new AbortController();
    this.#loop = loop(this.#stopping.signal);
  }

  /** Runs `pass` once the pass in flight has ended (whether it failed or not). */
  run<T>(pass: () => Promise<T>): Promise<T> {
    const next = this.#pass.catch(() => undefined).then(pass);
    this.#pass = next;
    return next;
  }

  /** Aborts the loop and waits for it and for the pass in flight; later passes run in full again. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    this.#loop = undefined;
    await this.#pass.catch(() => undefined);
    this.#stopping = new AbortController();
  }
}
