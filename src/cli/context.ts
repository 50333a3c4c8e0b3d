// What every subcommand receives: the global flags, resolved once, and the logger.
import type { Logger, LogFormat } from './log.js';

export interface GlobalOptions {
  /** state directory root (--root) */
  root: string;
  log?: string;
  logFormat: LogFormat;
  debug: boolean;
  systemdCgroup: boolean;
  /** --rootless: auto|true|false, as runc */
  rootless: 'auto' | 'true' | 'false';
}

export interface CommandContext {
  globals: GlobalOptions;
  log: Logger;
}

/** Parsed flags and positionals of one subcommand (yargs' argv without the globals). */
export type CommandArgs = Record<string, unknown> & { _: (string | number)[] };

export interface CommandModule {
  run(args: CommandArgs, ctx: CommandContext): Promise<number> | number;
}
