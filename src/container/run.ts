// `run` in the foreground: create without the exec fifo (the init goes straight to execve),
// forward signals, wait for the exit through the pidfd without blocking the event loop, then
// delete unless --keep. The exit status is the container's: its code, or 128+signal.
import * as native from '../native.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { startRelay, type Relay } from './terminal-relay.js';
import type { StateStore } from './state-store.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGWINCH: 28 };

export async function runForeground(store: StateStore, o: Omit<CreateOptions, 'waitForStart'>, keep: boolean): Promise<number> {
  const { state, pidfd, consoleListenFd } = createContainer(store, { ...o, waitForStart: false, relayTerminal: true });
  const relay: Relay | undefined = consoleListenFd !== undefined ? startRelay(consoleListenFd) : undefined;
  const forward = (sig: NodeJS.Signals) => {
    try {
      native.pidfdSendSignal(pidfd, SIGNUM[sig]);
    } catch {
      // exited meanwhile
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  let status: { code: number | null; signal: number | null };
  try {
    status = await native.waitExit(pidfd);
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    native.closeFd(pidfd);
    await relay?.finish();
  }
  if (!keep) deleteContainer(store, state.id, true);
  return status.signal !== null ? 128 + status.signal : (status.code ?? 0);
}
