import { readFileSync } from 'node:fs';
import { type z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { isSecretVariable } from './fields.js';

/** Where `loadConfig` reads from and how it names the configuration in errors. */
export interface LoadConfigOptions {
  /** The variables to read; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Names the configuration in error messages, e.g. the service name. */
  readonly name?: string;
}

/** `T` with every nested property and array read-only, matching the frozen runtime value. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer Item)[]
    ? readonly DeepReadonly<Item>[]
    : T extends object
      ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
      : T;

/** The frozen configuration `loadConfig` returns for a schema. */
export type Config<Schema extends z.ZodObject> = DeepReadonly<z.output<Schema>>;

const MAX_ECHOED_LENGTH = 64;
// Shorter values would also blank out ordinary words of the message.
const MIN_HIDDEN_LENGTH = 4;

type ResolvedVariable =
  { readonly value: string | undefined; readonly fromFile: boolean } | { readonly problem: string };

/**
 * Reads, validates and deep-freezes the configuration described by `schema`, whose keys are
 * environment variable names. For every key `NAME`, a set `NAME_FILE` supplies the value from
 * that file instead (Kubernetes Secret mounts). Empty strings count as unset. Throws one
 * {@link ConfigError} listing every missing or malformed variable.
 */
export function loadConfig<Schema extends z.ZodObject>(
  schema: Schema,
  options: LoadConfigOptions = {},
): Config<Schema> {
  const env = options.env ?? process.env;
  const variables = Object.keys(schema.shape);
  const input: Record<string, string | undefined> = {};
  const secretVariables = new Set<string>();
  const fileProblems: ConfigIssue[] = [];

  for (const [variable, field] of Object.entries<z.core.$ZodType>(schema.shape)) {
    if (isSecretVariable(variable, field)) secretVariables.add(variable);
    const resolved = resolveVariable(variable, env);
    if ('problem' in resolved) {
      fileProblems.push({ variable, message: resolved.problem });
      continue;
    }
    if (resolved.fromFile) secretVariables.add(variable);
    // Absent rather than `undefined`, so optional variables leave no key behind.
    if (resolved.value !== undefined) input[variable] = resolved.value;
  }

  const result = schema.safeParse(input, { reportInput: true });
  if (result.success && fileProblems.length === 0) {
    return deepFreeze(result.data) as Config<Schema>;
  }

  const problemVariables = new Set(fileProblems.map((issue) => issue.variable));
  const validationProblems = result.success
    ? []
    : result.error.issues
        .map((issue) => toConfigIssue(issue, input, secretVariables))
        .filter((issue) => !problemVariables.has(issue.variable));
  const position = (variable: string) => {
    const index = variables.indexOf(variable);
    return index === -1 ? variables.length : index;
  };
  const issues = [...fileProblems, ...validationProblems].sort(
    (left, right) => position(left.variable) - position(right.variable),
  );
  throw new ConfigError(issues, options.name);
}

function resolveVariable(
  variable: string,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedVariable {
  const fileVariable = `${variable}_FILE`;
  const direct = nonEmpty(env[variable]);
  const filePath = nonEmpty(env[fileVariable]);
  if (filePath === undefined) return { value: direct, fromFile: false };
  if (direct !== undefined) {
    return { problem: `both ${variable} and ${fileVariable} are set; set only one` };
  }
  try {
    // Secret files usually end with a newline that is not part of the value.
    return { value: readFileSync(filePath, 'utf8').replace(/(?:\r?\n)+$/, ''), fromFile: true };
  } catch (error) {
    return { problem: `cannot read ${fileVariable} '${filePath}' (${errorCode(error)})` };
  }
}

function toConfigIssue(
  issue: z.core.$ZodIssue,
  input: Readonly<Record<string, string | undefined>>,
  secretVariables: ReadonlySet<string>,
): ConfigIssue {
  const [head] = issue.path;
  const variable = head === undefined ? '(configuration)' : String(head);
  const isSecret = secretVariables.has(variable);
  const received = input[variable];

  if (issue.path.length === 1 && received === undefined && issue.code === 'invalid_type') {
    return { variable, message: 'required but not set' };
  }

  let message = issue.message;
  if (isSecret && received && received.length >= MIN_HIDDEN_LENGTH) {
    // A custom refinement could quote the value in its own message.
    message = message.replaceAll(received, '[hidden]');
  } else if (!isSecret && typeof issue.input === 'string') {
    message = `${message}, got '${echo(issue.input)}'`;
  }
  return { variable, message };
}

/** A received value made safe to print: URL passwords masked, long values shortened. */
function echo(value: string): string {
  const parsed = URL.parse(value);
  let shown = value;
  if (parsed?.password) {
    parsed.password = '***';
    shown = parsed.href;
  }
  return shown.length > MAX_ECHOED_LENGTH ? `${shown.slice(0, MAX_ECHOED_LENGTH)}…` : shown;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function errorCode(error: unknown): string {
  // Duck-typed: errors thrown by Node's own modules can come from another realm (e.g. under Jest).
  if (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
  ) {
    return error.code;
  }
  return String(error);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}
