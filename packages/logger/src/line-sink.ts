import { performance } from 'node:perf_hooks';
import { type Level, type Logger, pino } from 'pino';
import { maskCardNumbers, mayHoldCardNumber } from './redaction.js';

/** Writes fixed-shape lines straight to a logger's destination. */
export interface LineSink {
  /** Whether lines of this level are written (the logger's level). */
  enabled(level: Level): boolean;
  /**
   * Writes `{"level":…,"time":…,<the logger's bindings>,<fields>,"msg":…}` — the line pino would
   * write for these fields. `fields` is a JSON object's members, without braces
   * (`"requestId":"r1","res":{"statusCode":200}`), built by the caller from numbers and from
   * strings passed through {@link LineSink.text}.
   */
  write(level: Level, fields: string, msg: string): void;
  /**
   * The line {@link LineSink.write} would write now, built later: the time is taken now, and
   * `fields(value, at)` runs — with `at`, `performance.now()` of this call — when the deferred
   * lines are built, in the order they were asked for: within 10 ms, once 256 wait, and before
   * any hand-over ({@link LineSink.flush}, a process exit). `value` must not change meanwhile.
   * Building a request's line off its path, a batch at a time, costs the gateway much less
   * throughput than building it in the path (bench/README.md, "The access line, deferred"; D57).
   */
  defer<T>(level: Level, value: T, fields: (value: T, at: number) => string, msg: string): void;
  /** A string as a JSON string literal, with card numbers masked as on every line. */
  text(value: string): string;
  /** Builds every deferred line and hands every waiting line (of every sink) over now. */
  flush(): void;
}

interface Destination {
  write(chunk: string): unknown;
}

// The current time as pino's isoTime prints it, formatted once per millisecond rather than per
// line (under load several lines share a millisecond), and only the milliseconds per millisecond:
// `toISOString` runs once a second.
let lastMs = -1;
let lastIso = '';
let lastSecond = -1;
let secondPrefix = '';
/** `new Date(ms).toISOString()`, for the times of this era (years 1970–9999). */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      // "2026-12-07T15:04:05." — everything up to the milliseconds.
      secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    const milli = ms - second * 1000;
    lastMs = ms;
    lastIso = `${secondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
  return lastIso;
}

/**
 * `value` as a JSON string literal without a call into JSON.stringify or the card masking, when
 * neither has anything to do: printable ASCII without a quote or a backslash, and nothing shaped
 * like a card number ({@link mayHoldCardNumber}). Request ids and paths nearly always are;
 * anything else returns undefined.
 */
function plainLiteral(value: string): string | undefined {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 32 || code > 126 || code === 34 || code === 92) return undefined;
  }
  return mayHoldCardNumber(value) ? undefined : `"${value}"`;
}

const MAX_MESSAGES = 100;

// Lines not yet handed to their destination, per destination. They are handed over together —
// every FLUSH_INTERVAL_MS, as soon as FLUSH_BYTES are waiting, and when the process exits (before
// pino's own exit hook flushes the destination synchronously) — so that a busy server makes a few
// writes a second instead of one per request: each write is a trip through libuv's thread pool,
// and per request that cost more than building the line (bench/README.md, "Where the time goes").
//
// A waiting line is kept as its UTF-8 bytes in one buffer per destination, not as a string: a line
// built by concatenation is a tree of string pieces, and a tenth of a second of them (thousands
// under load) would be live at every young-generation GC, copied and then promoted, costing more
// than the line itself. Encoded at once, the pieces die young and the GC only ever sees one buffer.
const FLUSH_INTERVAL_MS = 100;
const FLUSH_BYTES = 64 * 1024;
// UTF-8 takes at most 3 bytes per UTF-16 code unit, so a string of n units fits in 3n bytes.
const MAX_BYTES_PER_UNIT = 3;
interface Waiting {
  readonly bytes: Buffer;
  used: number;
}
const pending = new Map<Destination, Waiting>();
let timer: NodeJS.Timeout | undefined;
function handOver(): void {
  clearTimeout(timer);
  timer = undefined;
  for (const [destination, waiting] of pending) {
    if (waiting.used === 0) continue;
    const chunk = waiting.bytes.toString('utf8', 0, waiting.used);
    waiting.used = 0;
    destination.write(chunk);
  }
}

// Lines asked for with `defer`, built together: within DEFER_MS, as soon as DEFER_COUNT wait, and
// before a hand-over of everything (flush, exit, the hand-over timer).
const DEFER_MS = 10;
const DEFER_COUNT = 256;
interface Deferred {
  readonly build: (time: number, fields: string, msg: string, level: Level) => void;
  readonly level: Level;
  readonly time: number;
  readonly at: number;
  readonly value: unknown;
  readonly fields: (value: unknown, at: number) => string;
  readonly msg: string;
}
let deferred: Deferred[] = [];
let deferTimer: NodeJS.Timeout | undefined;
function buildDeferred(): void {
  clearTimeout(deferTimer);
  deferTimer = undefined;
  // Swapped first: a line asked for while these are built waits for the next round.
  const lines = deferred;
  deferred = [];
  for (const line of lines)
    line.build(line.time, line.fields(line.value, line.at), line.msg, line.level);
}
function handOverAll(): void {
  buildDeferred();
  handOver();
}
process.prependListener('exit', handOverAll);

function enqueue(destination: Destination, line: string): void {
  let waiting = pending.get(destination);
  if (waiting === undefined) {
    waiting = { bytes: Buffer.allocUnsafe(FLUSH_BYTES), used: 0 };
    pending.set(destination, waiting);
  }
  // Counting the bytes is a second pass over the line; only needed when the bound says it may not fit.
  const mostBytes = line.length * MAX_BYTES_PER_UNIT;
  const bytes =
    waiting.used + mostBytes <= FLUSH_BYTES ? mostBytes : Buffer.byteLength(line, 'utf8');
  if (waiting.used + bytes > FLUSH_BYTES) handOver();
  if (bytes > FLUSH_BYTES) {
    // A line too long for the buffer goes on its own, after the ones before it.
    destination.write(line);
    return;
  }
  waiting.used += waiting.bytes.write(line, waiting.used);
  if (timer === undefined) {
    timer = setTimeout(handOverAll, FLUSH_INTERVAL_MS);
    // A process with nothing else to do may exit; the exit hook writes what waits.
    timer.unref();
  }
}

/**
 * A sink for the lines a process writes for nearly every request (the access log): it skips
 * pino's general machinery — the field-name redaction walk, path redaction, the mixin — whose cost
 * per line is several times the line's own, for fields whose shape the caller fixes, and hands
 * lines to the destination in batches (within 100 ms). Everything else keeps logging through the logger itself.
 */
export function lineSink(logger: Logger): LineSink {
  const symbols = logger as unknown as Record<symbol, unknown>;
  const destination = symbols[pino.symbols.streamSym] as Destination | undefined;
  const bindings = (symbols[pino.symbols.chindingsSym] as string | undefined) ?? '';
  if (!destination) throw new Error('lineSink: this logger has no destination stream');
  // A sink writes a few fixed messages ("request completed"): their JSON is made once each (at
  // most MAX_MESSAGES kept, should a caller ever vary them).
  const messages = new Map<string, string>();
  const build = (time: number, fields: string, msg: string, level: Level) => {
    let msgLiteral = messages.get(msg);
    if (msgLiteral === undefined) {
      msgLiteral = JSON.stringify(msg);
      if (messages.size < MAX_MESSAGES) messages.set(msg, msgLiteral);
    }
    const line = `{"level":"${level}","time":"${isoTime(time)}"${bindings},${fields},"msg":${msgLiteral}}\n`;
    enqueue(destination, line);
  };
  return {
    enabled: (level) => logger.isLevelEnabled(level),
    text: (value) => plainLiteral(value) ?? JSON.stringify(maskCardNumbers(value)),
    write(level, fields, msg) {
      if (logger.isLevelEnabled(level)) build(Date.now(), fields, msg, level);
    },
    defer(level, value, fields, msg) {
      if (!logger.isLevelEnabled(level)) return;
      deferred.push({
        build,
        level,
        time: Date.now(),
        at: performance.now(),
        value,
        fields: fields as (value: unknown, at: number) => string,
        msg,
      });
      if (deferred.length >= DEFER_COUNT) buildDeferred();
      else if (deferTimer === undefined) {
        deferTimer = setTimeout(buildDeferred, DEFER_MS);
        // A process with nothing else to do may exit; the exit hook builds what waits.
        deferTimer.unref();
      }
    },
    flush: handOverAll,
  };
}
