// A process the API started and the caller can hold: its pid, its pidfd, a promise for its exit
// status, and its stdio streams when the caller asked for pipes. The exit is watched from the
// start (the addon's watcher thread reaps it, native/wait.cc), and the handle keeps Node's event
// loop alive until the process exits, as a ChildProcess does: unref() lets the program end first.
import * as native from '../native.js';
import { toOcirtError } from '../errors.js';
import { parseSignal } from '../container/signals.js';
import type { StdioStreams } from './stdio.js';

export interface ExitStatus {
  /** the exit code when the process exited normally */
  code: number | null;
  /** the signal number when a signal killed it */
  signal: number | null;
  /**
   * What `ocirt run` exits with: the code, or 128 + the signal; null when the process was not our
   * child (its status is not ours to read).
   */
  status: number | null;
}

export function exitStatus(s: native.ExitStatus): ExitStatus {
  return { ...s, status: s.signal !== null ? 128 + s.signal : s.code };
}

export class ProcessHandle {
  /** the host pid */
  readonly pid: number;
  readonly stdin: StdioStreams['stdin'];
  readonly stdout: StdioStreams['stdout'];
  readonly stderr: StdioStreams['stderr'];
  /** settles once the process has exited (and has been reaped) */
  readonly exited: Promise<ExitStatus>;
  #pidfd: number | undefined;
  readonly #watch: native.ExitWatch;

  /**
   * `afterExit` runs once the process has exited, before `exited` settles (an attached process:
   * the terminal relay drained, the signal forwarding ended).
   */
  constructor(pid: number, pidfd: number, streams: StdioStreams, afterExit?: () => Promise<void> | void) {
    this.pid = pid;
    this.#pidfd = pidfd;
    this.stdin = streams.stdin;
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    this.#watch = native.watchExit(pidfd);
    this.exited = this.#watch.exited.finally(() => afterExit?.()).then(exitStatus, (err: unknown) => Promise.reject(toOcirtError(err)));
  }

  /** A pidfd of the process (pidfd_open(2)), open until close(): no pid-reuse race in the caller's own syscalls. */
  get pidfd(): number | undefined {
    return this.#pidfd;
  }

  /** Sends a signal (a number, or a name such as 'SIGTERM', 'KILL', 'RTMIN+1') through the pidfd. */
  signal(signal: number | string = 'SIGTERM'): void {
    if (this.#pidfd === undefined) throw toOcirtError(new Error(`process ${this.pid}: the handle is closed`));
    try {
      native.pidfdSendSignal(this.#pidfd, typeof signal === 'number' ? signal : parseSignal(signal));
    } catch (err) {
      throw toOcirtError(err);
    }
  }

  /** Node's event loop may end before the process exits. */
  unref(): this {
    this.#watch.unref();
    return this;
  }

  ref(): this {
    this.#watch.ref();
    return this;
  }

  /** Closes the pidfd; the exit is still watched (and reaped). */
  close(): void {
    if (this.#pidfd === undefined) return;
    native.closeFd(this.#pidfd);
    this.#pidfd = undefined;
  }
}
