// `pause` and `resume`: freeze and thaw every process of the container through its freezer (the
// v1 freezer on v1 and hybrid hosts, cgroup.freeze on v2: src/cgroups/record.ts). `state` then
// reports "paused".
import { ContainerError } from '../errors.js';
import { freeze } from '../cgroups/manager.js';
import { fromStateFields } from '../cgroups/record.js';
import { deriveStatus, type Status } from './status.js';
import type { StateStore, StoredState } from './state-store.js';

export function pauseContainer(store: StateStore, id: string): void {
  withStatus(store, id, (status, state) => {
    if (status !== 'running' && status !== 'created') {
      throw new ContainerError(
        'wrong-state',
        id,
        `cannot pause container "${id}": container not running or created (it is ${status})`,
        status,
      );
    }
    freeze(fromStateFields(state), true);
  });
}

export function resumeContainer(store: StateStore, id: string): void {
  withStatus(store, id, (status, state) => {
    if (status !== 'paused') {
      throw new ContainerError('wrong-state', id, `cannot resume container "${id}": container not paused (it is ${status})`, status);
    }
    freeze(fromStateFields(state), false);
  });
}

/**
 * Without the container's lock, as `kill`: they only write its freezer, and an `exec
 * --ignore-paused` into a paused container holds the lock while its process waits, frozen, for
 * the resume.
 */
function withStatus(store: StateStore, id: string, f: (status: Status, state: StoredState) => void): void {
  const state = store.read(id);
  f(deriveStatus(state, store.fifoPath(id)), state);
}
