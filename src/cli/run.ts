import { InvalidArgumentError } from 'commander';
import { PortwardenError, UserInputError, errorMessage } from '../util/errors.ts';

/** Exit codes: 0 success, 1 runtime failure (or findings with --exit-code 1), 2 invalid input. */
export const EXIT_FAILURE = 1;
export const EXIT_INVALID_INPUT = 2;

/** Prints an error the way every command does and sets the exit code; never prints a stack unless PORTWARDEN_DEBUG is set. */
export function reportFatal(err: unknown): void {
  const debug = Boolean(process.env.PORTWARDEN_DEBUG);
  if (err instanceof UserInputError || err instanceof InvalidArgumentError) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    process.exitCode = EXIT_INVALID_INPUT;
  } else if (err instanceof PortwardenError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = EXIT_FAILURE;
  } else {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    process.exitCode = EXIT_FAILURE;
  }
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
}

/** Wraps an async command action so errors are reported uniformly (commander's action type is loose). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportFatal(err);
    }
  };
}

/** Repeatable option collector: `--flag a --flag b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
