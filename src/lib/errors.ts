/**
 * Errors that cross a module boundary carry a stable code (`HAFEN_<AREA>_<WHAT>`), a message
 * a user can act on, and whether retrying can help. HTTP status codes are chosen only in
 * the API layer; the CLI maps codes to exit statuses.
 */
export class HafenError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** Structured detail for callers (e.g. every problem of an invalid fleet); never secrets. */
  readonly details?: unknown;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown; details?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HafenError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** True when `err` is a HafenError with the given code (or any HafenError without one). */
export function isHafenError(err: unknown, code?: string): err is HafenError {
  return err instanceof HafenError && (code === undefined || err.code === code);
}
