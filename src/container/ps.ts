// `ps`: the host pids of every process in the container (its cgroup and the ones below it), the
// list containerd reads with `ps -f json`.
import { containerPids } from '../cgroups/manager.js';
import { fromStateFields } from '../cgroups/record.js';
import { deriveStatus } from './status.js';
import type { StateStore } from './state-store.js';

export function containerProcesses(store: StateStore, id: string): number[] {
  const state = store.read(id);
  const status = deriveStatus(state, store.fifoPath(id));
  const cgroups = fromStateFields(state);
  if (cgroups.v2 || cgroups.v1.length) return containerPids(cgroups);
  // no cgroup of its own (rootless without delegation): the init is all we know of
  return status === 'stopped' || state.pid === 0 ? [] : [state.pid];
}
