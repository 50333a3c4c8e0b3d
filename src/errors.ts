// One error type for everything the user can act on. `exitCode` is what the CLI exits with;
// context fields are chained into the message so an engine's log shows what failed and why.
export class OcirtError extends Error {
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OcirtError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Name of a Node system error code (ENOENT...) if the value carries one. */
export function errnoName(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

/** `operation path: ENOENT (message)` — the shape of every system error we report. */
export function sysError(operation: string, path: string, err: unknown): OcirtError {
  const code = errnoName(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new OcirtError(`${operation} ${path}: ${code ?? detail}`, { cause: err });
}

/**
 * A valid config that cannot be carried out here, found after validation (the planner): `pointer`
 * is the JSON pointer of the field, and create puts the field's line:column in front of it.
 */
export class ConfigError extends OcirtError {
  constructor(
    readonly pointer: string,
    readonly detail: string,
  ) {
    super(`config.json: ${pointer}: ${detail}`);
  }
}
