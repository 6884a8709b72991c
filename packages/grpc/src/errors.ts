import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** One invalid request field, named by its proto path (e.g. `lines[0].quantity`). */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * Trailer carrying a JSON array of FieldViolation. A plain-text trailer keeps the details readable
 * with any gRPC tool (grpcurl shows it); the status message repeats them for humans.
 */
export const FIELD_VIOLATIONS_KEY = 'mercato-field-violations';

/** An error with a gRPC status code, thrown by handlers and turned into the call's status. */
export class GrpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly fieldViolations: readonly FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'GrpcError';
  }

  /** The status object grpc-js sends to the client. */
  toStatus(): Partial<StatusObject> {
    const metadata = new Metadata();
    if (this.fieldViolations.length > 0) {
      metadata.set(FIELD_VIOLATIONS_KEY, JSON.stringify(this.fieldViolations));
    }
    return { code: this.code, details: this.message, metadata };
  }
}

const describe = (violations: readonly FieldViolation[]) =>
  violations.map((violation) => `${violation.field}: ${violation.description}`).join('; ');

/** INVALID_ARGUMENT naming every bad field. */
export const invalidArgument = (violations: readonly FieldViolation[]): GrpcError =>
  new GrpcError(status.INVALID_ARGUMENT, `invalid argument: ${describe(violations)}`, violations);

/** NOT_FOUND. */
export const notFound = (message: string): GrpcError => new GrpcError(status.NOT_FOUND, message);

/** FAILED_PRECONDITION, optionally naming the offending fields or lines. */
export const failedPrecondition = (
  message: string,
  violations: readonly FieldViolation[] = [],
): GrpcError => new GrpcError(status.FAILED_PRECONDITION, message, violations);

/** ALREADY_EXISTS. */
export const alreadyExists = (message: string): GrpcError =>
  new GrpcError(status.ALREADY_EXISTS, message);

/** UNAVAILABLE: a dependency cannot be reached; the caller may retry later. */
export const unavailable = (message: string): GrpcError =>
  new GrpcError(status.UNAVAILABLE, message);

/** True for errors returned by a grpc-js call (they carry a numeric status code). */
export function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    'metadata' in error
  );
}

/** Reads the field violations a server attached to a failed call. */
export function fieldViolationsOf(error: ServiceError): FieldViolation[] {
  const [raw] = error.metadata?.get(FIELD_VIOLATIONS_KEY) ?? [];
  if (typeof raw !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as FieldViolation[]) : [];
  } catch {
    return [];
  }
}

/** The status code's name, e.g. `FAILED_PRECONDITION`, for logs and metrics. */
export function statusName(code: status): string {
  return status[code] ?? `CODE_${code}`;
}
