// The runtime-spec State (runtime.md "State") as `ocirt state` prints it, plus runc's
// extra fields (rootfs, created, owner) that engines read.
import { OCI_SPEC_VERSION } from '../version.js';
import type { StoredState } from './state-store.js';
import type { Status } from './status.js';

export interface RuntimeState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export function toRuntimeState(s: StoredState, status: Status): RuntimeState {
  return {
    ociVersion: OCI_SPEC_VERSION,
    id: s.id,
    // runc reports 0 once the process is gone: the pid may already belong to someone else.
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
    ...(s.annotations && Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
  };
}
