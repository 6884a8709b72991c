/**
 * True when `error` is a Node.js system error with the given code (ENOENT, EEXIST …). Duck-typed,
 * not `instanceof Error`: errors from Node's own modules come from another realm inside Jest's VM.
 */
export function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}
