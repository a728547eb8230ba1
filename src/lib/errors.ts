/**
 * Errors that cross a module boundary carry a stable code (`HAFEN_<AREA>_<WHAT>`) from the
 * catalogue (error-codes.ts), a message a user can act on, and whether retrying can help. HTTP
 * status codes are chosen only in the API layer, from the catalogue; the CLI maps codes to exit
 * statuses.
 */
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

interface ErrorOptions {
  /** Whether trying again can succeed; the catalogue's default for the code when not given. */
  retryable?: boolean;
  cause?: unknown;
  /** Structured detail for callers (e.g. every problem of an invalid fleet); never secrets. */
  details?: unknown;
}

export class HafenError extends Error {
  /** A catalogue code; an error a controller answered with may carry one this build does not know. */
  readonly code: string;
  readonly retryable: boolean;
  /** Structured detail for callers (e.g. every problem of an invalid fleet); never secrets. */
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HafenError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    if (options.details !== undefined) this.details = options.details;
  }

  /**
   * An error as a controller answered it: the code is taken as it came (a newer controller may
   * send one this client's catalogue does not have), so it is not checked against the catalogue.
   */
  static answered(code: string, message: string, options: ErrorOptions & { retryable: boolean }): HafenError {
    const err = new HafenError('HAFEN_INTERNAL', message, options);
    Object.defineProperty(err, 'code', { value: code, enumerable: true });
    return err;
  }
}

/** True when `err` is a HafenError with the given code (or any HafenError without one). */
export function isHafenError(err: unknown, code?: ErrorCode): err is HafenError {
  return err instanceof HafenError && (code === undefined || err.code === code);
}
