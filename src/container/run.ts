// `run` in the foreground: create without the exec fifo (the init goes straight to execve; with
// hooks, which run as part of start, create and start as an engine would call them),
// forward signals, wait for the exit through the pidfd without blocking the event loop, then
// delete unless --keep. The exit status is the container's: its code, or 128+signal.
import * as native from '../native.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { startContainer } from './start.js';
import { awaitExit, SignalForwarder } from './foreground.js';
import type { StateStore } from './state-store.js';

export async function runForeground(store: StateStore, o: Omit<CreateOptions, 'waitForStart'>, keep: boolean): Promise<number> {
  const signals = new SignalForwarder();
  let id: string | undefined;
  let pidfd: number | undefined;
  try {
    const created = createContainer(store, { ...o, waitForStart: false, relayTerminal: true });
    id = created.state.id;
    pidfd = created.pidfd;
    signals.attach(pidfd);
    if (created.waitsForStart) startContainer(store, id, o.log);
    return await awaitExit(pidfd, created.consoleRelayFd);
  } finally {
    signals.stop();
    if (pidfd !== undefined) native.closeFd(pidfd);
    // also when the wait failed (a terminal that could not be relayed): nothing stays behind
    if (id !== undefined && !keep) deleteContainer(store, id, true, o.log);
  }
}
