import { SpanKind } from '@opentelemetry/api';
import { failSpan, openSpan, tracingActive } from './spans.js';

const OPERATION = /^\s*([a-z]+)/i;
const TARGET = /\b(?:from|into|update|table)\s+(?:only\s+)?("?[a-z_][\w.]*"?)/gi;
const MAX_QUERY_TEXT = 2_000;
const MAX_NAMES = 1_000;
const names = new Map<string, { name: string; operation: string }>();

/**
 * A query's span name as OpenTelemetry's database conventions put it, `<operation> <table>`
 * (`SELECT orders`, `INSERT outbox`). Statements are constants in this code base, so the names are
 * worked out once per statement text.
 */
export function sqlSpanName(sql: string): { name: string; operation: string } {
  let known = names.get(sql);
  if (known === undefined) {
    const operation = (OPERATION.exec(sql)?.[1] ?? 'SQL').toUpperCase();
    const target = topLevelTarget(sql);
    known = { name: target ? `${operation} ${target}` : operation, operation };
    if (names.size < MAX_NAMES) names.set(sql, known);
  }
  return known;
}

/** The statement's table: the first FROM/INTO/UPDATE outside parentheses (not a subquery's). */
function topLevelTarget(sql: string): string | undefined {
  for (const match of sql.matchAll(TARGET)) {
    let depth = 0;
    for (let i = 0; i < match.index; i += 1) {
      if (sql[i] === '(') depth += 1;
      else if (sql[i] === ')') depth -= 1;
    }
    if (depth === 0) return match[1]!.replaceAll('"', '');
  }
  return undefined;
}

/**
 * Runs one query under a CLIENT span of the ambient trace (no span outside a sampled trace, so a
 * relay's polls and other background queries cost nothing). Statements are parameterized, so
 * the text recorded carries no values.
 */
export function tracedQuery<T>(sql: string, run: () => Promise<T>): Promise<T> {
  if (!tracingActive()) return run();
  const { name, operation } = sqlSpanName(sql);
  const open = openSpan(name, {
    kind: SpanKind.CLIENT,
    root: false,
    attributes: {
      'db.system.name': 'postgresql',
      'db.operation.name': operation,
      'db.query.text': sql.length > MAX_QUERY_TEXT ? sql.slice(0, MAX_QUERY_TEXT) : sql,
    },
  });
  if (open === undefined) return run();
  return run().then(
    (result) => {
      open.span.end();
      return result;
    },
    (error: unknown) => {
      failSpan(open.span, error);
      open.span.end();
      throw error;
    },
  );
}
