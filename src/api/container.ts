// A container the API created, as a test holds it: its init as a process (pid, pidfd, a promise
// for its exit status, the pipes the caller asked for) and the lifecycle operations on its id.
import type { ProcessHandle, ExitStatus } from './process.js';
import type { Runtime } from './runtime.js';
import type { ContainerState } from './ops/state.js';
import type { ExecOptions } from './ops/exec.js';
import type { Process } from '../spec/types.js';

export class Container {
  readonly id: string;
  /** the container's init (host pid; its pidfd, exit and stdio) */
  readonly init: ProcessHandle;
  readonly #runtime: Runtime;

  constructor(runtime: Runtime, id: string, init: ProcessHandle) {
    this.#runtime = runtime;
    this.id = id;
    this.init = init;
  }

  get pid(): number {
    return this.init.pid;
  }
  /** the init's pidfd, open until close() */
  get pidfd(): number | undefined {
    return this.init.pidfd;
  }
  /** settles when the init has exited: the container's exit status */
  get exited(): Promise<ExitStatus> {
    return this.init.exited;
  }
  get stdin(): ProcessHandle['stdin'] {
    return this.init.stdin;
  }
  get stdout(): ProcessHandle['stdout'] {
    return this.init.stdout;
  }
  get stderr(): ProcessHandle['stderr'] {
    return this.init.stderr;
  }

  start(): Promise<void> {
    return this.#runtime.start(this.id);
  }
  state(): Promise<ContainerState> {
    return this.#runtime.state(this.id);
  }
  kill(signal: number | string = 'SIGTERM', o: { all?: boolean } = {}): Promise<void> {
    return this.#runtime.kill(this.id, signal, o);
  }
  exec(command: readonly string[] | Process, o: ExecOptions = {}): Promise<ProcessHandle> {
    return this.#runtime.exec(this.id, command, o);
  }
  pause(): Promise<void> {
    return this.#runtime.pause(this.id);
  }
  resume(): Promise<void> {
    return this.#runtime.resume(this.id);
  }
  ps(): Promise<number[]> {
    return this.#runtime.ps(this.id);
  }
  /** Removes the container; `force` kills it first. The pidfd is closed. */
  async delete(o: { force?: boolean } = {}): Promise<void> {
    await this.#runtime.delete(this.id, o);
    this.init.close();
  }
  /** Node's event loop may end before the container's init exits. */
  unref(): this {
    this.init.unref();
    return this;
  }
}
