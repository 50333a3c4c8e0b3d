// `kill`: signal the container's init (or, with --all, every process in its cgroup). The pidfd
// is opened and the process identity re-checked before signalling, so a recycled pid is never hit.
import * as native from '../native.js';
import { OcirtError } from '../errors.js';
import { cgroupPids, killCgroup } from '../cgroups/manager.js';
import { deriveStatus, isSameProcess } from './status.js';
import type { StateStore } from './state-store.js';

export function killContainer(store: StateStore, id: string, signal: number, all: boolean): void {
  const state = store.read(id);
  const status = deriveStatus(state, store.fifoPath(id));
  if (status === 'stopped') {
    // runc: --all of a stopped container is no error (containerd's shim sends it at every stop)
    if (all) return;
    throw new OcirtError(`cannot kill container "${id}": container not running`);
  }
  if (all && state.cgroupPath) {
    if (signal === 9 && killCgroup(state.cgroupPath)) return;
    for (const pid of cgroupPids(state.cgroupPath)) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    }
    return;
  }
  const pidfd = openVerified(state.pid, state.pidStartTime, id);
  try {
    native.pidfdSendSignal(pidfd, signal);
  } finally {
    native.closeFd(pidfd);
  }
}

/** A pidfd for the init, or an error if the pid no longer names the same process. */
export function openVerified(pid: number, startTime: number, id: string): number {
  let fd: number;
  try {
    fd = native.pidfdOpen(pid);
  } catch {
    throw new OcirtError(`cannot signal container "${id}": container not running`);
  }
  if (!isSameProcess(pid, startTime)) {
    native.closeFd(fd);
    throw new OcirtError(`cannot signal container "${id}": container not running`);
  }
  return fd;
}
