// Small accessors for yargs' loosely typed argv, so command modules stay typed.
import { OcirtError } from '../errors.js';
import type { CreateOptions } from '../container/create.js';
import { validateId } from '../container/state-store.js';
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

/** The container id positional, checked (validateId) before any command makes a path of it. */
export function containerId(args: CommandArgs): string {
  const id = args['container-id'] ?? args.containerId;
  if (id === undefined || id === '') throw new OcirtError('missing container id');
  return validateId(String(id));
}

/** The flags `create` and `run` share, as the lifecycle layer takes them. */
export function createFlags(args: CommandArgs, ctx: CommandContext): Omit<CreateOptions, 'waitForStart'> {
  return {
    id: containerId(args),
    bundle: str(args, 'bundle') ?? '.',
    pidFile: str(args, 'pid-file'),
    consoleSocket: str(args, 'console-socket'),
    noPivot: bool(args, 'no-pivot'),
    noNewKeyring: bool(args, 'no-new-keyring'),
    preserveFds: num(args, 'preserve-fds', 0),
    rootless: ctx.globals.rootless,
    log: ctx.log,
  };
}
