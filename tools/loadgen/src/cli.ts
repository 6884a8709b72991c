import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { formatProgress, formatSummary } from './format.js';
import {
  DEFAULT_MIX,
  parseDuration,
  parseMix,
  parseWeights,
  paymentMixForDeclineRate,
  type PaymentTokenMix,
} from './options.js';
import { runLoad, type LoadOptions } from './run-load.js';

/** Where the CLI writes: a stream and whether it is a terminal (progress is redrawn in place there). */
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const USAGE = `Usage: mercato-loadgen [options]

Runs shopper journeys (browse, view, order, poll) against a Mercato gateway at a fixed rate and
prints a summary. Ctrl-C stops the run and prints the summary of what ran.

  --url URL              gateway (default http://127.0.0.1:${DEFAULT_PORTS.gateway.http})
  --rate N               journeys started per second (default 10)
  --duration TIME        stop after TIME, e.g. 30s, 5m (default: until Ctrl-C)
  --journeys N           stop after N journeys
  --mix LIST             journey weights (default ${Object.entries(DEFAULT_MIX)
    .map(([kind, weight]) => `${kind}=${weight}`)
    .join(',')})
  --decline-rate R       share of orders paid with a declined card, 0–1 (default 0)
  --payment-mix LIST     payment token weights, e.g. tok_success=8,tok_insufficient_funds=2
  --concurrency N        journeys in flight at most; more are dropped and counted (default 256)
  --shoppers N           guest sessions to spread journeys over (default 32)
  --poll-interval TIME   first wait before polling an order (default 100ms), then 1.5× longer
                         each time up to --max-poll-interval (default 1s), when the gateway
                         does not wait
  --order-wait N         seconds each read of a pending order asks the gateway to wait for the
                         payment outcome (Prefer: wait=N; default 5, 0: poll only)
  --settle-timeout TIME  how long an order may take to be paid or cancelled (default 30s)
  --request-timeout TIME deadline of each request (default 10s)
  --json FILE            also write the summary as JSON to FILE
  --help                 this text

The gateway rate-limits each client (token subject) to RATE_LIMIT_MAX requests per window
(default 600/min): at high rates raise --shoppers or the gateway's RATE_LIMIT_MAX.
`;

const number = (text: string, name: string) => {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new RangeError(`--${name} must be a number (got "${text}")`);
  return value;
};

/** Turns command-line arguments into load options (throws RangeError on a bad argument). */
export function parseCliArguments(
  argv: readonly string[],
): { help: true } | { help: false; options: LoadOptions; jsonFile: string | undefined } {
  const { values } = parseArgs({
    // `pnpm loadgen -- --rate 5` passes the `--` along.
    args: argv[0] === '--' ? argv.slice(1) : [...argv],
    strict: true,
    options: {
      url: { type: 'string', default: `http://127.0.0.1:${DEFAULT_PORTS.gateway.http}` },
      rate: { type: 'string', default: '10' },
      duration: { type: 'string' },
      journeys: { type: 'string' },
      mix: { type: 'string' },
      'decline-rate': { type: 'string' },
      'payment-mix': { type: 'string' },
      concurrency: { type: 'string' },
      shoppers: { type: 'string' },
      'poll-interval': { type: 'string' },
      'max-poll-interval': { type: 'string' },
      'order-wait': { type: 'string' },
      'settle-timeout': { type: 'string' },
      'request-timeout': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return { help: true };
  if (values['decline-rate'] !== undefined && values['payment-mix'] !== undefined)
    throw new RangeError('give --decline-rate or --payment-mix, not both');
  let paymentTokens: PaymentTokenMix | undefined;
  if (values['decline-rate'] !== undefined)
    paymentTokens = paymentMixForDeclineRate(number(values['decline-rate'], 'decline-rate'));
  if (values['payment-mix'] !== undefined) paymentTokens = parseWeights(values['payment-mix']);
  const optional = <T>(text: string | undefined, parse: (text: string) => T) =>
    text === undefined ? undefined : parse(text);
  const options: LoadOptions = {
    baseUrl: values.url,
    ratePerSecond: number(values.rate, 'rate'),
    durationMs: optional(values.duration, parseDuration),
    journeys: optional(values.journeys, (text) => number(text, 'journeys')),
    mix: optional(values.mix, parseMix),
    paymentTokens,
    maxConcurrentJourneys: optional(values.concurrency, (text) => number(text, 'concurrency')),
    shoppers: optional(values.shoppers, (text) => number(text, 'shoppers')),
    pollIntervalMs: optional(values['poll-interval'], parseDuration),
    maxPollIntervalMs: optional(values['max-poll-interval'], parseDuration),
    orderWaitSeconds: optional(values['order-wait'], (text) => number(text, 'order-wait')),
    orderSettleTimeoutMs: optional(values['settle-timeout'], parseDuration),
    requestTimeoutMs: optional(values['request-timeout'], parseDuration),
  };
  return { help: false, options, jsonFile: values.json };
}

/**
 * The mercato-loadgen command: runs the load with a live progress line on `stderr` and prints the
 * summary on `stdout`. Returns the exit code (2 for bad arguments).
 */
export async function runCli(
  argv: readonly string[],
  io: { stdout: CliOutput; stderr: CliOutput; signal?: AbortSignal },
): Promise<number> {
  let parsed: ReturnType<typeof parseCliArguments>;
  try {
    parsed = parseCliArguments(argv);
  } catch (error) {
    io.stderr.write(
      `mercato-loadgen: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`,
    );
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const live = io.stderr.isTTY === true;
  let progressShown = false;
  const run = runLoad({
    ...parsed.options,
    signal: io.signal,
    // A terminal redraws one line every second; a log file gets a line every 5 s.
    progressIntervalMs: live ? 1_000 : 5_000,
    onProgress: (progress) => {
      const line = formatProgress(progress);
      io.stderr.write(live ? `\r${line}\u001b[K` : `${line}\n`);
      progressShown = true;
    },
  });
  let summary;
  try {
    summary = await run;
  } catch (error) {
    // runLoad throws only for invalid options, before it sends anything.
    io.stderr.write(`mercato-loadgen: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (live && progressShown) io.stderr.write('\n');
  io.stdout.write(`${formatSummary(summary)}\n`);
  if (parsed.jsonFile) await writeFile(parsed.jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
  return 0;
}
