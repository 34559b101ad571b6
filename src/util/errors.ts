/**
 * Errors a user can act on. `code` is stable (tests and the API match on it); the message says
 * what was wrong and, where possible, what to do.
 */
export class PortwardenError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PortwardenError';
    this.code = code;
  }
}

/** Invalid input from the user (bad reference, bad flag, malformed file): CLI exit code 2, API 400. */
export class UserInputError extends PortwardenError {
  constructor(message: string, code = 'invalid_input', options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'UserInputError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
