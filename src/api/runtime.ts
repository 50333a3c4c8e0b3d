// The Runtime: ocirt as a library. Each method is one operation of ops/ (the same modules the CLI
// commands call), loaded on first use so that a program that only reads state never loads the
// planner, the validator or the addon. Every error is an OcirtError (src/errors.ts), with
// machine-readable fields; nothing is printed.
import { toOcirtError } from '../errors.js';
import type { LinuxResources, Process, Spec } from '../spec/types.js';
import { contextFromOptions, type RuntimeContext, type RuntimeOptions } from './context.js';
import { Container } from './container.js';
import { ProcessHandle, type ExitStatus } from './process.js';
import { collect } from './stdio.js';
import type { CreateOptions } from './ops/create.js';
import type { ContainerEvent, EventsOptions } from './ops/events.js';
import type { ExecOptions } from './ops/exec.js';
import type { Features } from './ops/features.js';
import type { ContainerState } from './ops/state.js';
import type { BundleSource, Validation } from './ops/validate.js';

export interface RunOptions extends CreateOptions {
  /** keep the container after it exits (default: deleted) */
  keep?: boolean;
  /** with stdin 'pipe': written to the container's stdin, then end-of-file (without: end-of-file at once) */
  input?: string | Uint8Array;
}

export interface RunResult extends ExitStatus {
  /** what the container wrote, where stdout (stderr) was 'pipe' */
  stdout?: Buffer;
  stderr?: Buffer;
}

async function guarded<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw toOcirtError(err);
  }
}

export class Runtime {
  readonly #ctx: RuntimeContext;

  constructor(options: RuntimeOptions = {}) {
    this.#ctx = contextFromOptions(options);
  }

  /** the state root in use */
  get root(): string {
    return this.#ctx.root;
  }

  /** Creates the container: its init is set up and waits for start(). */
  create(id: string, bundle: BundleSource, options: CreateOptions = {}): Promise<Container> {
    return guarded(async () => {
      const { create } = await import('./ops/create.js');
      const c = create(this.#ctx, id, bundle, options, true);
      return new Container(this, c.state.id, new ProcessHandle(c.state.pid, c.pidfd, c.streams));
    });
  }

  start(id: string): Promise<void> {
    return guarded(async () => (await import('./ops/start.js')).start(this.#ctx, id));
  }

  state(id: string): Promise<ContainerState> {
    return guarded(async () => (await import('./ops/state.js')).state(this.#ctx, id));
  }

  list(): Promise<ContainerState[]> {
    return guarded(async () => (await import('./ops/state.js')).list(this.#ctx));
  }

  /** A signal to the container's init (with `all`, to every process in it); default SIGTERM. */
  kill(id: string, signal: number | string = 'SIGTERM', o: { all?: boolean } = {}): Promise<void> {
    return guarded(async () => (await import('./ops/kill.js')).kill(this.#ctx, id, signal, o.all === true));
  }

  delete(id: string, o: { force?: boolean } = {}): Promise<void> {
    return guarded(async () => (await import('./ops/delete.js')).remove(this.#ctx, id, o.force === true));
  }

  /**
   * create + start, waits for the container's exit, deletes it (unless `keep`): its exit status,
   * and what it wrote to the pipes asked for.
   */
  run(id: string, bundle: BundleSource, options: RunOptions = {}): Promise<RunResult> {
    return guarded(async () => {
      const { create } = await import('./ops/create.js');
      const c = create(this.#ctx, id, bundle, options, false);
      const init = new ProcessHandle(c.state.pid, c.pidfd, c.streams);
      try {
        if (init.stdin) init.stdin.end(options.input ?? undefined);
        const out = Promise.all([collect(init.stdout), collect(init.stderr)]);
        if (c.waitsForStart) (await import('./ops/start.js')).start(this.#ctx, id);
        const status = await init.exited;
        const [stdout, stderr] = await out;
        return { ...status, ...(stdout ? { stdout } : {}), ...(stderr ? { stderr } : {}) };
      } finally {
        init.close();
        if (!options.keep) (await import('./ops/delete.js')).remove(this.#ctx, id, true);
      }
    });
  }

  /** One more process in a running container: the config's process with `command` as its args, or a whole process object. */
  exec(id: string, command: readonly string[] | Process, options: ExecOptions = {}): Promise<ProcessHandle> {
    return guarded(async () => {
      const p = await (await import('./ops/exec.js')).exec(this.#ctx, id, command, options);
      return new ProcessHandle(p.pid, p.pidfd, p.streams);
    });
  }

  /** The container's stats and OOM events until it stops (runc's `events`); `break` ends the watch. */
  async *events(id: string, options: EventsOptions = {}): AsyncGenerator<ContainerEvent, void, undefined> {
    const { events } = await guarded(() => import('./ops/events.js'));
    try {
      yield* events(this.#ctx, id, options);
    } catch (err) {
      throw toOcirtError(err);
    }
  }

  pause(id: string): Promise<void> {
    return guarded(async () => (await import('./ops/pause.js')).pause(this.#ctx, id));
  }

  resume(id: string): Promise<void> {
    return guarded(async () => (await import('./ops/pause.js')).resume(this.#ctx, id));
  }

  /** The host pids of the container's processes. */
  ps(id: string): Promise<number[]> {
    return guarded(async () => (await import('./ops/ps.js')).ps(this.#ctx, id));
  }

  /** Changes the container's linux.resources (runc's update -r). */
  update(id: string, resources: LinuxResources): Promise<void> {
    return guarded(async () => {
      const { checkResources, update } = await import('./ops/update.js');
      update(this.#ctx, id, checkResources(resources, 'resources'));
    });
  }

  /** Every problem of a bundle (or of { config, rootfs }) as data; an empty `problems` is valid. */
  validate(bundle: BundleSource): Promise<Validation> {
    return guarded(async () => (await import('./ops/validate.js')).validate(bundle));
  }

  /** The default config (`ocirt spec`), rootless or not. */
  spec(o: { rootless?: boolean } = {}): Promise<Spec> {
    return guarded(async () => (await import('./ops/spec.js')).spec(o));
  }

  /** The features document (`ocirt features`): what ocirt applies on this host. */
  features(): Promise<Features> {
    return guarded(async () => (await import('./ops/features.js')).features());
  }
}
