import { SpanKind } from '@opentelemetry/api';
import { failSpan, openSpan, tracingActive } from './spans.js';

const OPERATION = /^\s*([a-z]+)/i;
const TARGET = /\b(?:from|into|update|table)\s+(?:only\s+)?("?[a-z_][\w.]*"?)/gi;
const MAX_QUERY_TEXT = 2_000;
const MAX_NAMES = 1_000;
const names = new Map<string, { name: string; operation: string }>();

/**
 * A query's span name as OpenTelemetry's database conventions put it, `<operation> <table>`
 * (`SELECT orders`, `INSERT outbox`), and its operation. A statement with a WITH clause is named by
 * what it does, as the conventions' query summary is: each part's operation and table in order
 * (`INSERT processed_events UPDATE orders INSERT outbox`), leaving out parts that only read the
 * statement's own CTEs; its operation is the first one found. Statements are constants in this
 * code base, so the names are worked out once per statement text.
 */
export function sqlSpanName(sql: string): { name: string; operation: string } {
  let known = names.get(sql);
  if (known === undefined) {
    known = withStatementName(sql) ?? nameOf(partOf(sql));
    if (names.size < MAX_NAMES) names.set(sql, known);
  }
  return known;
}

/** What one statement (or one CTE's body) does: its operation and its table, when it names one. */
interface Part {
  operation: string;
  target: string | undefined;
}

function partOf(sql: string): Part {
  return {
    operation: (OPERATION.exec(sql)?.[1] ?? 'SQL').toUpperCase(),
    target: topLevelTarget(sql),
  };
}

function nameOf({ operation, target }: Part): { name: string; operation: string } {
  return { name: target ? `${operation} ${target}` : operation, operation };
}

const WITH = /^\s*with\s+(?:recursive\s+)?/i;
const CTE_HEAD = /^\s*("?[a-z_][\w]*"?)\s*(?:\([^)]*\)\s*)?as\s+(?:not\s+)?(?:materialized\s+)?\(/i;

/** The name of a `WITH … <statement>`, or undefined when `sql` has no WITH clause it can read. */
function withStatementName(sql: string): { name: string; operation: string } | undefined {
  const start = WITH.exec(sql);
  if (!start) return undefined;
  const ctes = new Set<string>();
  const parts: Part[] = [];
  let rest = sql.slice(start[0].length);
  for (;;) {
    const head = CTE_HEAD.exec(rest);
    if (!head) return undefined;
    const open = head[0].length - 1;
    const close = closingParenthesis(rest, open);
    if (close === undefined) return undefined;
    ctes.add(head[1]!.replaceAll('"', '').toLowerCase());
    parts.push(partOf(rest.slice(open + 1, close)));
    rest = rest.slice(close + 1);
    const comma = /^\s*,/.exec(rest);
    if (!comma) break;
    rest = rest.slice(comma[0].length);
  }
  parts.push(partOf(rest));
  // A part that reads only the statement's own CTEs (or no table) says nothing a reader needs.
  const named = parts.filter(
    (part) => part.target !== undefined && !ctes.has(part.target.toLowerCase()),
  );
  const operation = parts[0]!.operation;
  return {
    name: named.length > 0 ? named.map((part) => nameOf(part).name).join(' ') : operation,
    operation,
  };
}

/** The index of the parenthesis closing the one at `open`, or undefined when it is not closed. */
function closingParenthesis(sql: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < sql.length; i += 1) {
    if (sql[i] === '(') depth += 1;
    else if (sql[i] === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return undefined;
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
