// Small accessors for yargs' loosely typed argv, so command modules stay typed.
import { OcirtError } from '../errors.js';
import type { CommandArgs } from './context.js';

export function str(args: CommandArgs, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return String(v);
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
