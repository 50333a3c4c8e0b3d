// What every operation of the API works with: the state root (a StateStore, made on first use:
// `spec`, `validate` and `features` need none), runc's --rootless mode, and the logger that gets
// warnings and debug lines. The Runtime (runtime.ts) makes one from its options; the CLI makes one
// from its global flags (src/cli/) and calls the same operations (ops/).
import { ArgumentError } from '../errors.js';
import { SILENT, type Logger } from '../logger.js';
import { defaultStateRoot } from '../container/rootless.js';
import { StateStore } from '../container/state-store.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
/** Receives what ocirt reports besides errors: fields accepted but not applied, hook output, debug details. */
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
  readonly log: Logger;
}

export function rootlessMode(v: unknown): RootlessMode {
  if (v === undefined || v === 'auto') return 'auto';
  if (v === true || v === 'true') return 'true';
  if (v === false || v === 'false') return 'false';
  throw new ArgumentError(`rootless: expected 'auto', true or false, got ${JSON.stringify(v)}`);
}

export function runtimeContext(o: { root?: string; rootless?: unknown; log?: Logger }): RuntimeContext {
  const root = o.root || defaultStateRoot();
  let store: StateStore | undefined;
  return {
    root,
    get store() {
      store ??= new StateStore(root);
      return store;
    },
    rootless: rootlessMode(o.rootless),
    log: o.log ?? SILENT,
  };
}

/** A context from the API's options: the log sink gets every level. */
export function contextFromOptions(o: RuntimeOptions = {}): RuntimeContext {
  const sink = o.log;
  if (sink !== undefined && typeof sink !== 'function') throw new ArgumentError('log: expected a function (level, message) => void');
  const log: Logger | undefined = sink && {
    debug: (m) => sink('debug', m),
    info: (m) => sink('info', m),
    warn: (m) => sink('warning', m),
    error: (m) => sink('error', m),
  };
  return runtimeContext({ ...(o.root !== undefined ? { root: o.root } : {}), rootless: o.rootless, ...(log ? { log } : {}) });
}
