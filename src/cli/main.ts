/**
 * `portwarden` command line. Commands are thin: parse arguments, call a module, print.
 * Each command group lives in src/cli/commands/<name>.ts and is listed once in commands/index.ts.
 */
import { Command } from 'commander';
import { VERSION } from '../version.ts';
import { COMMANDS } from './commands/index.ts';
import { reportFatal } from './run.ts';

const program = new Command('portwarden')
  .description('Container image security: inventory, vulnerabilities, secrets, SBOMs, and a scan service.')
  .version(VERSION, '-v, --version')
  .showHelpAfterError()
  .enablePositionalOptions();

for (const register of COMMANDS) register(program);

// `portwarden scan … | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

program.parseAsync(process.argv).catch(reportFatal);
