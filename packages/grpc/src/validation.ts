import type { z } from 'zod';
import { invalidArgument, type FieldViolation } from './errors.js';

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** Formats a zod issue path the way the proto names the field: `lines[0].product_id`. */
export function protoFieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((joined, part) => {
    if (typeof part === 'number') return `${joined}[${part}]`;
    const name = snakeCase(String(part));
    return joined ? `${joined}.${name}` : name;
  }, '');
}

/** Validates a request against a zod schema, or throws INVALID_ARGUMENT listing every bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, request: unknown): z.infer<S> {
  const result = schema.safeParse(request);
  if (result.success) return result.data;
  const violations: FieldViolation[] = result.error.issues.map((issue) => ({
    field: protoFieldPath(issue.path) || '(request)',
    description: issue.message,
  }));
  throw invalidArgument(violations);
}
