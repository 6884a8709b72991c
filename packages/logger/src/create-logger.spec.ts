import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createLogger, type CreateLoggerOptions } from './create-logger.js';
import { REDACTED } from './redaction.js';
import { MemoryDestination } from './testing.js';

function memoryLogger(options: Partial<CreateLoggerOptions> = {}) {
  const destination = new MemoryDestination();
  const logger = createLogger({ service: 'order', destination, ...options });
  return { logger, destination };
}

const CARD_NUMBERS = ['4111111111111111', '5555555555554444', '378282246310005'];

describe('createLogger', () => {
  it('writes one JSON object per line with service, level label, ISO time and message', () => {
    const { logger, destination } = memoryLogger();

    logger.info({ orderId: 'o-1' }, 'order created');

    const [record] = destination.records();
    expect(record).toEqual({
      level: 'info',
      time: expect.any(String),
      service: 'order',
      orderId: 'o-1',
      msg: 'order created',
    });
    expect(new Date(record?.time as string).toISOString()).toBe(record?.time);
  });

  it('writes at info and above by default', () => {
    const { logger, destination } = memoryLogger();

    logger.debug('hidden');
    logger.info('shown');

    expect(destination.records().map((record) => record.msg)).toEqual(['shown']);
  });

  it('drops lines below the configured level', () => {
    const { logger, destination } = memoryLogger({ level: 'warn' });

    logger.trace('trace');
    logger.debug('debug');
    logger.info('info');
    logger.warn('warn');
    logger.error('error');
    logger.fatal('fatal');

    expect(destination.records().map((record) => record.level)).toEqual(['warn', 'error', 'fatal']);
  });

  it('writes nothing when silent', () => {
    const { logger, destination } = memoryLogger({ level: 'silent' });

    logger.fatal('nobody hears this');

    expect(destination.text).toBe('');
  });

  it('never writes credentials, whatever their spelling or depth', () => {
    const { logger, destination } = memoryLogger();

    logger.info(
      {
        req: {
          method: 'POST',
          url: '/api/v1/orders',
          headers: { authorization: 'Bearer secret-bearer', cookie: 'session=secret-session' },
        },
        res: { statusCode: 201, headers: { 'set-cookie': ['session=secret-set-cookie'] } },
        upstream: { headers: { Authorization: 'Basic secret-basic' } },
        login: { user: { email: 'a@example.com', password: 'secret-password' } },
        oauth: { accessToken: 'secret-access', refreshToken: 'secret-refresh' },
      },
      'request handled',
    );
    logger.child({ headers: { Cookie: 'secret-bound-cookie' } }).info('child line');

    expect(destination.text).not.toMatch(/secret-/);
    const [request, child] = destination.records();
    expect(request).toMatchObject({
      req: { method: 'POST', headers: { authorization: REDACTED, cookie: REDACTED } },
      res: { statusCode: 201, headers: { 'set-cookie': REDACTED } },
      upstream: { headers: { Authorization: REDACTED } },
      login: { user: { email: 'a@example.com', password: REDACTED } },
      oauth: { accessToken: REDACTED, refreshToken: REDACTED },
    });
    expect(child).toMatchObject({ headers: { Cookie: REDACTED }, msg: 'child line' });
  });

  it('redacts credential headers of requests serialized the way HTTP loggers do', () => {
    const { logger, destination } = memoryLogger();
    const request = new IncomingMessage(new Socket());
    Object.assign(request, {
      method: 'GET',
      url: '/api/v1/orders/o-1',
      headers: {
        authorization: 'Bearer secret-bearer',
        cookie: 'session=secret-session',
        accept: 'application/json',
      },
    });

    logger
      .child({}, { serializers: { req: pino.stdSerializers.req } })
      .info({ req: request }, 'request');

    expect(destination.text).not.toMatch(/secret-/);
    expect(destination.records()[0]).toMatchObject({
      req: {
        method: 'GET',
        url: '/api/v1/orders/o-1',
        headers: { authorization: REDACTED, cookie: REDACTED, accept: 'application/json' },
      },
    });
  });

  it('never writes card data but keeps the payment token', () => {
    const { logger, destination } = memoryLogger();

    logger.info(
      {
        payment: { cardNumber: '4111111111111111', cvc: '737', paymentToken: 'tok_visa' },
        checkout: { card: { number: '5555555555554444', cvv: '123' } },
        pan: '378282246310005',
      },
      'charging',
    );

    expect(destination.text).not.toMatch(/737|"123"/);
    for (const cardNumber of CARD_NUMBERS) expect(destination.text).not.toContain(cardNumber);
    expect(destination.records()[0]).toMatchObject({
      payment: { cardNumber: REDACTED, cvc: REDACTED, paymentToken: 'tok_visa' },
      checkout: { card: { number: REDACTED, cvv: REDACTED } },
      pan: REDACTED,
    });
  });

  it('masks card numbers that slipped into messages, free-text fields and errors', () => {
    const { logger, destination } = memoryLogger();

    logger.info(`charging card ${CARD_NUMBERS[0]} for order o-1`);
    logger.info('charging card %s', '5555 5555 5555 4444');
    logger.warn({ note: `customer wrote ${CARD_NUMBERS[2]} in the comment` }, 'odd note');
    logger.error(new Error(`provider declined ${CARD_NUMBERS[1]}`));

    for (const cardNumber of CARD_NUMBERS) expect(destination.text).not.toContain(cardNumber);
    expect(destination.text).not.toContain('5555 5555 5555 4444');
    const [interpolated, formatted, note, failure] = destination.records();
    expect(interpolated?.msg).toBe(`charging card ${REDACTED} for order o-1`);
    expect(formatted?.msg).toBe(`charging card ${REDACTED}`);
    expect(note?.note).toBe(`customer wrote ${REDACTED} in the comment`);
    expect(failure).toMatchObject({
      msg: `provider declined ${REDACTED}`,
      err: { type: 'Error', message: `provider declined ${REDACTED}` },
    });
  });

  it('writes human-readable, still redacted lines when pretty', async () => {
    const { logger, destination } = memoryLogger({ pretty: true });

    logger.info({ user: { password: 'secret-password' } }, `paid with ${CARD_NUMBERS[0]}`);
    await destination.waitForWrites(1);

    expect(destination.text).toContain(`INFO`);
    expect(destination.text).toContain(`paid with ${REDACTED}`);
    expect(destination.text).not.toContain(CARD_NUMBERS[0]);
    expect(destination.text).not.toContain('secret-password');
    expect(() => destination.records()).toThrow(SyntaxError);
  });
});
