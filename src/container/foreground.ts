// The foreground half of `run` and `exec`: signals that reach ocirt go on to the process, a
// terminal is relayed, and ocirt's exit status is the process's (its code, or 128+signal).
import * as native from '../native.js';
import { startRelay } from './terminal.js';

// runc forwards what it receives; SIGWINCH is not forwarded but resizes a relayed terminal
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const SIGNUM: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };

/**
 * Installed before the process exists: it may run (and be meant to get a signal) before the
 * launch returns. Node delivers signals from the event loop, so one that arrives during the
 * synchronous launch is forwarded once the pidfd is attached.
 */
export class SignalForwarder {
  private pidfd: number | undefined;
  private readonly pending: number[] = [];
  private readonly onSignal = (sig: NodeJS.Signals) => {
    const n = SIGNUM[sig];
    if (n === undefined) return;
    if (this.pidfd === undefined) this.pending.push(n);
    else this.send(n);
  };

  constructor() {
    for (const s of FORWARDED) process.on(s, this.onSignal);
  }

  attach(pidfd: number): void {
    this.pidfd = pidfd;
    for (const n of this.pending.splice(0)) this.send(n);
  }

  stop(): void {
    for (const s of FORWARDED) process.off(s, this.onSignal);
  }

  private send(n: number): void {
    try {
      native.pidfdSendSignal(this.pidfd!, n);
    } catch {
      // exited meanwhile
    }
  }
}

/** Waits for the process (our child) behind pidfd, relaying its terminal when relayFd is given. */
export async function awaitExit(pidfd: number, relayFd?: number): Promise<number> {
  const relay = relayFd !== undefined ? startRelay(relayFd) : undefined;
  let status: native.ExitStatus;
  try {
    status = await native.waitExit(pidfd);
  } finally {
    await relay?.finish();
  }
  return status.signal !== null ? 128 + status.signal : (status.code ?? 0);
}
