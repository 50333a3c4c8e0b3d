// `run` in the foreground: create without the exec fifo (the init goes straight to execve),
// forward signals, wait for the exit through the pidfd without blocking the event loop, then
// delete unless --keep. The exit status is the container's: its code, or 128+signal.
import * as native from '../native.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { startContainer } from './start.js';
import { startRelay, type Relay } from './terminal-relay.js';
import type { StateStore } from './state-store.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGWINCH: 28 };

export async function runForeground(store: StateStore, o: Omit<CreateOptions, 'waitForStart'>, keep: boolean): Promise<number> {
  // Handlers go in before the container exists: without the exec fifo it may run (and be sent a
  // signal meant for it) before create returns. Node delivers signals from the event loop, so
  // one that arrives during the synchronous create is forwarded once the pidfd is known.
  let pidfd: number | undefined;
  const pending: number[] = [];
  const send = (n: number) => {
    try {
      native.pidfdSendSignal(pidfd!, n);
    } catch {
      // exited meanwhile
    }
  };
  const forward = (sig: NodeJS.Signals) => (pidfd === undefined ? pending.push(SIGNUM[sig]) : send(SIGNUM[sig]));
  for (const s of FORWARDED) process.on(s, forward);
  let status: { code: number | null; signal: number | null };
  let id: string;
  let relay: Relay | undefined;
  try {
    const created = createContainer(store, { ...o, waitForStart: false, relayTerminal: true });
    id = created.state.id;
    pidfd = created.pidfd;
    pending.splice(0).forEach(send);
    if (created.consoleListenFd !== undefined) relay = startRelay(created.consoleListenFd);
    // hooks run as part of start (startContainer, poststart): the create/start split, in one command
    if (created.waitsForStart) startContainer(store, id, o.log);
    status = await native.waitExit(pidfd);
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    if (pidfd !== undefined) native.closeFd(pidfd);
    await relay?.finish();
  }
  if (!keep) deleteContainer(store, id, true, o.log);
  return status.signal !== null ? 128 + status.signal : (status.code ?? 0);
}
