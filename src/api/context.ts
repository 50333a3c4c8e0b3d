// What every operation of the API works with: the state root (a StateStore, made on first use:
// `spec`, `validate` and `features` need none), runc's --rootless mode, and where warnings and
// debug lines go. The Runtime (runtime.ts) makes one from its options; the CLI makes one from its
// global flags (src/cli/context.ts) and calls the same operations.
import { ArgumentError } from '../errors.js';
import { StateStore } from '../container/state-store.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
/** Receives what ocirt reports besides errors: fields accepted but not applied, debug details. */
export type LogSink = (level: LogLevel, message: string) => void;

export interface RuntimeOptions {
  /** where containers' state lives (runc's --root); default /run/ocirt for root, $XDG_RUNTIME_DIR/ocirt otherwise */
  root?: string;
  /** where warnings (and debug lines) go; default: nowhere */
  log?: LogSink;
  /**
   * runc's --rootless: 'auto' (default: rootless when unprivileged or uid 0 of a user namespace)
   * tolerates cgroups the caller may not make when no limit needs them; true and false force it.
   */
  rootless?: boolean | 'auto';
}

export type RootlessMode = 'auto' | 'true' | 'false';

export interface RuntimeContext {
  readonly root: string;
  /** the state store under root; throws when there is no root (unprivileged without XDG_RUNTIME_DIR) */
  readonly store: StateStore;
  readonly rootless: RootlessMode;
  warn(message: string): void;
  debug(message: string): void;
}

/** runc's default: /run/<name> for root, $XDG_RUNTIME_DIR/<name> otherwise ('' when unset). */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0): string {
  if (euid === 0) return '/run/ocirt';
  const xdg = env.XDG_RUNTIME_DIR;
  return xdg ? `${xdg.replace(/\/+$/, '')}/ocirt` : '';
}

export function rootlessMode(v: unknown): RootlessMode {
  if (v === undefined || v === 'auto') return 'auto';
  if (v === true || v === 'true') return 'true';
  if (v === false || v === 'false') return 'false';
  throw new ArgumentError(`rootless: expected 'auto', true or false, got ${JSON.stringify(v)}`);
}

export function runtimeContext(o: { root?: string; rootless?: unknown; warn?: (m: string) => void; debug?: (m: string) => void }): RuntimeContext {
  const root = o.root || defaultRoot();
  let store: StateStore | undefined;
  return {
    root,
    get store() {
      store ??= new StateStore(root);
      return store;
    },
    rootless: rootlessMode(o.rootless),
    warn: o.warn ?? (() => {}),
    debug: o.debug ?? (() => {}),
  };
}

/** A context from the API's options: the log sink gets warnings and debug lines. */
export function contextFromOptions(o: RuntimeOptions = {}): RuntimeContext {
  const log = o.log;
  return runtimeContext({
    ...(o.root !== undefined ? { root: o.root } : {}),
    rootless: o.rootless,
    ...(log ? { warn: (m: string) => log('warning', m), debug: (m: string) => log('debug', m) } : {}),
  });
}
