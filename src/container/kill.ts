// `kill`: signal the container's init (or, with --all, every process in its cgroups). The pidfd
// is opened and the process identity re-checked before signalling, so a recycled pid is never hit.
import * as native from '../native.js';
import { ContainerError } from '../errors.js';
import { freeze, signalAll } from '../cgroups/manager.js';
import { freezerOf, fromStateFields } from '../cgroups/record.js';
import { deriveStatus, isSameProcess } from './status.js';
import type { StateStore } from './state-store.js';

export function killContainer(store: StateStore, id: string, signal: number, all: boolean): void {
  const state = store.read(id);
  const status = deriveStatus(state, store.fifoPath(id));
  const cgroups = fromStateFields(state);
  const hasCgroup = cgroups.v2 !== undefined || cgroups.v1.length > 0;
  if (status === 'stopped') {
    // runc: signalling every process of a stopped container succeeds (there may be none left)
    if (all) {
      if (hasCgroup) signalAll(cgroups, signal);
      return;
    }
    throw new ContainerError('wrong-state', id, `cannot kill container "${id}": container not running`, status);
  }
  if (all && hasCgroup) {
    signalAll(cgroups, signal);
    return;
  }
  const pidfd = openVerified(state.pid, state.pidStartTime, id);
  try {
    native.pidfdSendSignal(pidfd, signal);
  } finally {
    native.closeFd(pidfd);
  }
  // a process frozen by the v1 freezer does not die of SIGKILL until thawed (runc thaws it too)
  if (signal === 9 && status === 'paused' && freezerOf(cgroups)?.kind === 'v1') freeze(cgroups, false);
}

/** A pidfd for the init, or an error if the pid no longer names the same process. */
export function openVerified(pid: number, startTime: number, id: string): number {
  let fd: number;
  try {
    fd = native.pidfdOpen(pid);
  } catch {
    throw new ContainerError('wrong-state', id, `cannot signal container "${id}": container not running`, 'stopped');
  }
  if (!isSameProcess(pid, startTime)) {
    native.closeFd(fd);
    throw new ContainerError('wrong-state', id, `cannot signal container "${id}": container not running`, 'stopped');
  }
  return fd;
}
