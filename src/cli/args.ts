// Small accessors for yargs' loosely typed argv, so command modules stay typed.
import { OcirtError } from '../errors.js';
import { runtimeContext, type RuntimeContext } from '../api/context.js';
import type { CreateOptions } from '../api/ops/create.js';
import type { CommandArgs, CommandContext } from './context.js';

export function str(args: CommandArgs, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return String(v);
}

/** A repeatable flag's values (or a variadic positional's words), as strings, in order. */
export function strings(args: CommandArgs, key: string): string[] {
  const v = args[key];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null).map(String);
}

export function bool(args: CommandArgs, key: string): boolean {
  return args[key] === true;
}

export function num(args: CommandArgs, key: string, fallback: number): number {
  const v = args[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new OcirtError(`--${key}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

export function containerId(args: CommandArgs): string {
  const id = args['container-id'] ?? args.containerId;
  if (id === undefined || id === '') throw new OcirtError('missing container id');
  return String(id);
}

/** The API's context for a command: the global flags' root, --rootless and the --log logger. */
export function runtimeOf(ctx: CommandContext): RuntimeContext {
  return runtimeContext({ root: ctx.globals.root, rootless: ctx.globals.rootless, log: ctx.log });
}

/** The flags `create` and `run` share, as the API's create takes them. */
export function createFlags(args: CommandArgs): { id: string; bundle: string; options: Omit<CreateOptions, 'stdio'> } {
  return {
    id: containerId(args),
    bundle: str(args, 'bundle') ?? '.',
    options: {
      pidFile: str(args, 'pid-file'),
      consoleSocket: str(args, 'console-socket'),
      noPivot: bool(args, 'no-pivot'),
      noNewKeyring: bool(args, 'no-new-keyring'),
      preserveFds: num(args, 'preserve-fds', 0),
    },
  };
}
