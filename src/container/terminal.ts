// Terminals from the runtime's side, for create, run and exec with process.terminal. The pty is
// made inside the container by the init stub (native/init/console.c); its master goes over a
// console socket that the runtime connects here and hands over with "go": --console-socket (a
// host path, which the container's ids in a user namespace could not even reach), or, for a
// foreground run or exec, one end of a socket pair whose other end ocirt keeps and relays to its
// own stdio, as runc does.
import * as native from '../native.js';
import { ArgumentError, sysError } from '../errors.js';

export interface ConsoleSocket {
  /** the connected socket the init stub gets with "go" */
  stubFd: number;
  /** our end of the pair: the master arrives here (a relayed terminal only) */
  relayFd?: number;
  /** for the plan and its messages */
  describe: string;
}

/**
 * The runtime's half of runc's rules for a terminal: a detached process needs --console-socket
 * to hand its pty to, and --console-socket is only for a detached process with a terminal.
 */
export function checkConsoleFlags(terminal: boolean, detached: boolean, consoleSocket: string | undefined, what: string): void {
  if (terminal && detached && !consoleSocket) {
    throw new ArgumentError(`cannot allocate a terminal for a detached ${what} without --console-socket (to receive the pty master)`);
  }
  if (consoleSocket && (!detached || !terminal)) {
    throw new ArgumentError(
      `--console-socket is only for a detached ${what} with a terminal (${!terminal ? 'process.terminal is false' : 'this one stays in the foreground'})`,
    );
  }
}

/** Connects --console-socket, or makes the pair of a terminal ocirt relays itself. */
export function openConsoleSocket(path: string | undefined): ConsoleSocket {
  if (path) {
    try {
      return { stubFd: native.connectUnix(path), describe: path };
    } catch (err) {
      throw sysError('connect to the console socket', path, err);
    }
  }
  const [ours, theirs] = native.socketPair();
  return { stubFd: theirs, relayFd: ours, describe: "ocirt's terminal relay" };
}

/**
 * The size of ocirt's own terminal, for a pty it relays: the plan gives it to the pty before the
 * program runs. undefined when neither stdin nor stdout is a terminal.
 */
export function relayedTerminalSize(): { height: number; width: number } | undefined {
  const size = native.getWinsize(0) ?? native.getWinsize(1);
  return size && (size.rows || size.cols) ? { height: size.rows, width: size.cols } : undefined;
}

export function closeConsoleSocket(c: ConsoleSocket): void {
  native.closeFd(c.stubFd);
  if (c.relayFd !== undefined) native.closeFd(c.relayFd);
}

export interface Relay {
  /** stop once the process has exited and its output is drained; the terminal is restored */
  finish(): Promise<void>;
}

/**
 * Receives the pty master (the process is set up, so it was sent already) and relays it to our
 * stdio: our terminal in raw mode, output processing off (the container's pty already turned
 * "\n" into "\r\n"), the container's terminal resized with ours on SIGWINCH.
 */
export function startRelay(relayFd: number): Relay {
  let master: number;
  try {
    master = native.recvFd(relayFd, true).fd;
  } catch (err) {
    throw sysError('receive the pty master from', "ocirt's terminal relay", err);
  } finally {
    native.closeFd(relayFd);
  }
  // reverse order on restore: when 0 and 1 are one terminal, its original settings come back last
  const saved: [number, Buffer][] = [];
  for (const [fd, full] of [
    [0, true],
    [1, false],
  ] as const) {
    if (!native.isatty(fd)) continue;
    try {
      saved.push([fd, native.setRawMode(fd, full)]);
    } catch {
      // a terminal we may not change (a background job's): relay anyway
    }
  }
  const resize = () => {
    const size = native.getWinsize(0) ?? native.getWinsize(1);
    if (!size) return;
    try {
      native.setWinsize(master, size.rows, size.cols);
    } catch {
      // the pty is gone: the process exited
    }
  };
  resize();
  process.on('SIGWINCH', resize);
  const stop = native.eventFd();
  const relayed = native.relayTerminal(master, 0, 1, stop);
  return {
    async finish() {
      native.signalEventFd(stop);
      try {
        await relayed;
      } finally {
        process.off('SIGWINCH', resize);
        for (const [fd, termios] of saved.reverse()) {
          try {
            native.restoreTermios(fd, termios);
          } catch {
            // the terminal went away
          }
        }
        native.closeFd(master);
        native.closeFd(stop);
      }
    },
  };
}
