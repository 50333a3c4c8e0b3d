// SCMP_ACT_NOTIFY: the listener fd of the container's filter goes to the seccomp agent listening at
// listenerPath, with the container process state as the message (runtime-spec config-linux.md,
// "The Container Process State"): one connection, the JSON as payload, the fd as SCM_RIGHTS in the
// first sendmsg, then the connection is closed. A failure is an error (the spec says MUST).
import * as native from '../native.js';
import { OcirtError, errnoName } from '../errors.js';
import { OCI_SPEC_VERSION } from '../version.js';

/** The runtime-spec state of the container at the time of the hand-over. */
export interface AgentState {
  id: string;
  status: 'creating' | 'created' | 'running';
  /** the container's process, as the runtime sees it */
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export function containerProcessState(listener: { metadata?: string }, state: AgentState): string {
  return JSON.stringify({
    ociVersion: OCI_SPEC_VERSION,
    fds: ['seccompFd'],
    pid: state.pid,
    ...(listener.metadata !== undefined ? { metadata: listener.metadata } : {}),
    state: {
      ociVersion: OCI_SPEC_VERSION,
      id: state.id,
      status: state.status,
      pid: state.pid,
      bundle: state.bundle,
      ...(state.annotations ? { annotations: state.annotations } : {}),
    },
  });
}

/** Sends `fd` and the state to the agent; the fd is closed here whatever happens. */
export function sendListenerFd(listener: { path: string; metadata?: string }, fd: number, state: AgentState): void {
  try {
    native.unixSendFd(listener.path, containerProcessState(listener, state), fd);
  } catch (err) {
    throw new OcirtError(
      `config.json /linux/seccomp/listenerPath: send the seccomp listener fd to ${listener.path}: ${errnoName(err) ?? String(err)}: is the seccomp agent listening there?`,
      { cause: err },
    );
  } finally {
    native.closeFd(fd);
  }
}
