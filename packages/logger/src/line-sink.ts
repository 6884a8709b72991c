import { type Level, type Logger, pino } from 'pino';
import { maskCardNumbersInJson } from './redaction.js';

/** Writes fixed-shape lines straight to a logger's destination. */
export interface LineSink {
  /** Whether lines of this level are written (the logger's level). */
  enabled(level: Level): boolean;
  /**
   * Writes `{"level":…,"time":…,<the logger's bindings>,<fields>,"msg":…}` — the line pino would
   * write for these fields. `fields` is a JSON object's members, already serialized, without
   * braces (`"requestId":"r1","res":{"statusCode":200}`); the caller builds it from values it
   * knows to be safe. Card numbers are still masked, as on every line.
   */
  write(level: Level, fields: string, msg: string): void;
}

/**
 * A sink for the lines a process writes for nearly every request (the access log): it skips
 * pino's general machinery — the field-name redaction walk, the path redaction, the mixin — whose
 * cost per line is several times the line's own, and only for fields whose shape the caller fixes.
 * Everything else keeps logging through the logger itself.
 */
export function lineSink(logger: Logger): LineSink {
  const stream = (logger as unknown as Record<symbol, { write(line: string): void }>)[
    pino.symbols.streamSym
  ];
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  if (!stream) throw new Error('lineSink: this logger has no destination stream');
  return {
    enabled: (level) => logger.isLevelEnabled(level),
    write(level, fields, msg) {
      if (!logger.isLevelEnabled(level)) return;
      const line = `{"level":"${level}","time":"${new Date().toISOString()}"${bindings},${fields},"msg":${JSON.stringify(msg)}}\n`;
      stream.write(maskCardNumbersInJson(line));
    },
  };
}
