// What an HTTP/2 server promotes to V8's old generation per call, without any code of the shop:
//   ROOT=/path/to/checkout node bench/scripts/h2-promotion.mjs [RATE] [SECONDS]
// Each variant is a server in a process of its own (`--max-semi-space-size=8`, as the images run,
// with V8's `--trace-gc-nvp` set from a preload); this process calls it at RATE calls/s (default
// 577, part (i)'s rate in the committed run -7), open loop, for SECONDS s (default 10), one
// variant after the other:
//   http1           node:http answering the same body over keep-alive connections: the control
//   http2           node:http2 answering like a gRPC unary call: headers, one DATA frame, trailers
//   http2-cleared   the same, each stream's own fields set to undefined once it closed (found
//                   through the `http2.server.stream.close` diagnostics channel)
//   grpc-js         a bare @grpc/grpc-js server with one unary method (Buffer in, Buffer out)
//   grpc-js-cleared the same, with the streams cleared as in http2-cleared
// and prints, per variant, the scavenges and mark-compacts of the server during the calls, what
// each scavenge promoted on average and V8's promotion rate (the share of what survived the
// scavenge before that survives this one). Ad hoc, beside the bench; not part of `pnpm bench`.
import { spawn } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = process.env.ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(`${root}/services/product/package.json`);
const grpc = require('@grpc/grpc-js');
const script = fileURLToPath(import.meta.url);
const PATH = '/mercato.bench.Echo/Get';
const body = Buffer.alloc(300, 'x');
const method = {
  get: {
    path: PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value) => value,
    requestDeserialize: (value) => value,
    responseSerialize: (value) => value,
    responseDeserialize: (value) => value,
  },
};

/** Sets every own field of a closed stream to undefined (what the `-cleared` variants do). */
function clearClosedStreams() {
  const clear = (stream) => {
    for (const symbol of Object.getOwnPropertySymbols(stream)) stream[symbol] = undefined;
    for (const key of Object.keys(stream)) stream[key] = undefined;
  };
  subscribe('http2.server.stream.close', ({ stream }) =>
    stream.once('close', () => setImmediate(clear, stream)),
  );
}

async function serve(variant, port) {
  (await import('node:v8')).setFlagsFromString('--trace-gc-nvp');
  if (variant.endsWith('-cleared')) clearClosedStreams();
  if (variant === 'http1') {
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => setImmediate(() => response.end(body)));
    });
    server.listen(port, '127.0.0.1', () => process.send('ready'));
    return;
  }
  if (variant.startsWith('http2')) {
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.on('data', () => {});
      stream.on('end', () =>
        setImmediate(() => {
          stream.respond(
            { ':status': 200, 'content-type': 'application/grpc' },
            { waitForTrailers: true },
          );
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(body);
        }),
      );
    });
    server.listen(port, '127.0.0.1', () => process.send('ready'));
    return;
  }
  const server = new grpc.Server();
  server.addService(method, { get: (_call, callback) => setImmediate(() => callback(null, body)) });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), () =>
    process.send('ready'),
  );
}

/** One call at a time to the variant's server, RATE a second, open loop; resolves when all ended. */
async function drive(variant, port, rate, seconds) {
  let call;
  let close;
  if (variant === 'http1') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    call = (done) => {
      const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: PATH, agent });
      request.on('response', (response) => {
        response.resume();
        response.on('end', done);
      });
      request.end('q');
    };
    close = () => agent.destroy();
  } else if (variant.startsWith('http2')) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    call = (done) => {
      const request = session.request({
        ':method': 'POST',
        ':path': PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      request.on('data', () => {});
      request.on('close', done);
      request.end(Buffer.from('q'));
    };
    close = () => session.close();
  } else {
    const Client = grpc.makeGenericClientConstructor(method);
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    call = (done) => client.get(Buffer.from('q'), { deadline: Date.now() + 5_000 }, done);
    close = () => client.close();
  }
  const total = rate * seconds;
  const startedAt = performance.now();
  let sent = 0;
  await new Promise((resolve) => {
    let ended = 0;
    const done = () => {
      ended += 1;
      if (ended === total) resolve();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * rate));
      while (sent < due) {
        sent += 1;
        call(done);
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  close();
}

/** The scavenges and mark-compacts in a server's --trace-gc-nvp output. */
function summarize(output) {
  const collections = output
    .split('\n')
    .filter((line) => line.includes(' gc='))
    .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('='))));
  const scavenges = collections.filter((gc) => gc.gc === 's');
  const mean = (values) => values.reduce((sum, value) => sum + value, 0) / (values.length || 1);
  return {
    scavenges: scavenges.length,
    markCompacts: collections.filter((gc) => gc.gc === 'mc').length,
    promotedKiB: mean(scavenges.map((gc) => Number(gc.promoted) / 1024)),
    promotionRate: mean(scavenges.map((gc) => Number.parseFloat(gc.promotion_rate))),
    promotedTotal: scavenges.reduce((sum, gc) => sum + Number(gc.promoted), 0),
  };
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3], Number(process.argv[4]));
} else {
  const rate = Number(process.argv[2] ?? 577);
  const seconds = Number(process.argv[3] ?? 10);
  const { reservePort } = await import(`${root}/tools/harness/dist/index.js`);
  for (const variant of ['http1', 'http2', 'http2-cleared', 'grpc-js', 'grpc-js-cleared']) {
    const port = await reservePort();
    const server = spawn(
      process.execPath,
      ['--max-semi-space-size=8', script, 'serve', variant, String(port)],
      { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
    );
    let output = '';
    server.stdout.on('data', (chunk) => (output += chunk));
    await new Promise((resolve) => server.once('message', resolve));
    // Start-up's collections are not the calls'.
    await sleep(500);
    const before = output.length;
    await drive(variant, port, rate, seconds);
    const gc = summarize(output.slice(before));
    server.kill();
    console.log(
      `${variant.padEnd(16)} ${rate} calls/s for ${seconds} s: ${gc.scavenges} scavenges, ` +
        `${gc.markCompacts} mark-compacts; promoted ${gc.promotedKiB.toFixed(0)} KiB a scavenge ` +
        `(${((gc.promotedTotal / (rate * seconds)) | 0).toLocaleString('en')} B a call), ` +
        `promotion rate ${gc.promotionRate.toFixed(1)} %`,
    );
  }
}
