// The errors of ocirt, one small hierarchy for the CLI and the API alike. Every error a user can
// act on is an OcirtError: its message is what the CLI prints (context chained in: what failed,
// on what, why), and its fields say the same to a program: `code` (what kind of failure), and
// where they apply `pointer` (the config field, a JSON pointer), `syscall`, `errno` (the errno's
// name) and `path`. `exitCode` is what the CLI exits with.
import type { Problem } from './spec/validate.js';

/** What kind of failure, for programs (the API's callers) to branch on. */
export type ErrorCode =
  /** the bundle's config.json or rootfs has problems (BundleError.problems lists them all) */
  | 'invalid-bundle'
  /** a valid config field that cannot be carried out here (ConfigError.pointer names it) */
  | 'invalid-config'
  /** a bad argument: an id, a signal, an option's value */
  | 'invalid-argument'
  /** no container of that id */
  | 'not-found'
  /** a container of that id exists already */
  | 'exists'
  /** the container's status does not allow the operation (ContainerError.status) */
  | 'wrong-state'
  /** another command holds the container's lock */
  | 'locked'
  /** an operation on the system failed (SystemError: syscall, errno, path) */
  | 'system'
  /** the container's init failed a setup step (InitError: step, errno, pointer, path) */
  | 'init'
  /** anything else; the message says what */
  | 'failed';

/** Marks ocirt's errors across bundles: each CLI command file carries its own copy of these classes. */
const BRAND = Symbol.for('ocirt.error');

export interface ErrorFields {
  code?: ErrorCode;
  exitCode?: number;
  cause?: unknown;
  pointer?: string;
  syscall?: string;
  errno?: string;
  path?: string;
  id?: string;
}

export class OcirtError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  /** the config field the error is about, as a JSON pointer (`/process/args/0`) */
  readonly pointer?: string;
  /** the operation or system call that failed (`mount`, `open exec fifo`) */
  readonly syscall?: string;
  /** the errno's name (`ENOENT`) */
  readonly errno?: string;
  /** the file or object the failed operation was about */
  readonly path?: string;
  /** the container the error is about */
  readonly id?: string;
  readonly [BRAND] = true;

  constructor(message: string, options: ErrorFields = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OcirtError';
    this.code = options.code ?? 'failed';
    this.exitCode = options.exitCode ?? 1;
    if (options.pointer !== undefined) this.pointer = options.pointer;
    if (options.syscall !== undefined) this.syscall = options.syscall;
    if (options.errno !== undefined) this.errno = options.errno;
    if (options.path !== undefined) this.path = options.path;
    if (options.id !== undefined) this.id = options.id;
  }
}

/** An OcirtError of any bundle's copy of this module (the CLI loads one copy per command file). */
export function isOcirtError(err: unknown): err is OcirtError {
  return err instanceof OcirtError || (err instanceof Error && (err as unknown as Record<symbol, unknown>)[BRAND] === true);
}

/** The bundle cannot be used: every problem of config.json and the rootfs, located. */
export class BundleError extends OcirtError {
  declare readonly code: 'invalid-bundle';
  constructor(
    message: string,
    /** config.json's path */
    readonly configPath: string,
    /** each with its JSON pointer, line:column where known, and what is wrong */
    readonly problems: readonly Problem[],
  ) {
    super(message, { code: 'invalid-bundle', path: configPath, ...(problems[0] ? { pointer: problems[0].pointer } : {}) });
    this.name = 'BundleError';
  }
}

/**
 * A valid config that cannot be carried out here, found after validation (the planner): `pointer`
 * is the JSON pointer of the field. Thrown first with the default message; create and exec throw it
 * again with the field's place in front (config.json's line:column, or where exec took it from).
 */
export class ConfigError extends OcirtError {
  declare readonly code: 'invalid-config';
  declare readonly pointer: string;
  constructor(
    pointer: string,
    readonly detail: string,
    options: { message?: string; cause?: unknown } = {},
  ) {
    super(options.message ?? `config.json: ${pointer}: ${detail}`, { code: 'invalid-config', pointer, cause: options.cause });
    this.name = 'ConfigError';
  }
}

export type ContainerErrorCode = 'not-found' | 'exists' | 'wrong-state' | 'locked';

/** About the container itself: it does not exist, exists already, is locked, or is in the wrong state. */
export class ContainerError extends OcirtError {
  declare readonly code: ContainerErrorCode;
  declare readonly id: string;
  constructor(
    code: ContainerErrorCode,
    id: string,
    message: string,
    /** the container's status when it was the wrong one ('created', 'running', 'paused', 'stopped', 'creating') */
    readonly status?: string,
  ) {
    super(message, { code, id });
    this.name = 'ContainerError';
  }
}

/** An operation on the system failed: `syscall` (the operation), `errno`, `path`. */
export class SystemError extends OcirtError {
  declare readonly code: 'system';
  declare readonly syscall: string;
  constructor(message: string, fields: { syscall: string; errno?: string; path?: string; cause?: unknown }) {
    super(message, { code: 'system', ...fields });
    this.name = 'SystemError';
  }
}

/**
 * The container's init (or an exec'd process) failed a setup step: `step` (native/plan_format.h's
 * name: MOUNT, SETUID, EXEC...), `errno`, `pointer` (the config field the step carried out, where
 * one does) and `path` (what the step worked on).
 */
export class InitError extends OcirtError {
  declare readonly code: 'init';
  constructor(
    message: string,
    readonly step: string,
    fields: { errno?: string; pointer?: string; path?: string },
  ) {
    super(message, { code: 'init', ...fields });
    this.name = 'InitError';
  }
}

/** A bad argument: a container id, a signal, an option's value. */
export class ArgumentError extends OcirtError {
  declare readonly code: 'invalid-argument';
  constructor(message: string) {
    super(message, { code: 'invalid-argument' });
    this.name = 'ArgumentError';
  }
}

/** Name of a Node system error code (ENOENT...) if the value carries one. */
export function errnoName(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

/** `operation path: ENOENT` — the shape of every system error we report. */
export function sysError(operation: string, path: string, err: unknown): SystemError {
  const code = errnoName(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new SystemError(`${operation} ${path}: ${code ?? detail}`, {
    syscall: operation,
    ...(code ? { errno: code } : {}),
    path,
    cause: err,
  });
}

/**
 * Any error as an OcirtError (the API's boundary: nothing else leaves it). A Node or addon system
 * error keeps its syscall, errno name and path.
 */
export function toOcirtError(err: unknown): OcirtError {
  if (isOcirtError(err)) return err;
  if (err instanceof Error) {
    const e = err as Error & { syscall?: unknown; path?: unknown };
    const errno = errnoName(err);
    if (errno && /^E[A-Z0-9]+$/.test(errno)) {
      return new SystemError(err.message, {
        syscall: typeof e.syscall === 'string' ? e.syscall : 'unknown',
        errno,
        ...(typeof e.path === 'string' ? { path: e.path } : {}),
        cause: err,
      });
    }
    return new OcirtError(err.message, { cause: err });
  }
  return new OcirtError(String(err));
}
