// Fault injection for the tests of issue 12 (test/integration/faults.test.ts): with OCIRT_FAULT set
// to one of the step names below, ocirt kills itself with SIGKILL when it reaches that step, as an
// engine's timeout, an OOM kill or a power cut would. Harmless outside tests: it can only make
// ocirt die where an external `kill -9` could have, which the runtime must survive anyway (a
// later `delete --force` removes everything). The tests walk every step, and fail if one is
// never reached, so this list stays the truth about where the commands can be interrupted.

export const FAULT_POINTS = {
  create: [
    'create:locked', // the id's lock taken
    'create:state-dir', // <root>/<id> made
    'create:fifo', // exec.fifo made
    'create:recorded', // state.json names the cgroups about to be made
    'create:cgroups', // cgroups made
    'create:spawned', // the init cloned, waiting for "go", its pid recorded
    'create:go', // maps written, cgroup joined, "go" sent
    'create:ready', // the init reported READY
    'create:state', // the final state.json written
  ],
  start: [
    'start:locked',
    'start:released', // exec.fifo opened: the init goes on
    'start:confirmed', // the init's byte read
    'start:fifo-removed',
  ],
  exec: [
    'exec:locked', // the container's lock taken, its state read
    'exec:spawned', // the process cloned into the container's cgroups, waiting for "go"
    'exec:go', // "go" sent: it joins the container's namespaces
    'exec:running', // its program runs, the lock released; a foreground exec waits for it
  ],
  delete: [
    'delete:locked',
    'delete:killed', // the init signalled
    'delete:cgroups-removed',
    'delete:emptied', // the state directory holds state.json only
  ],
} as const;

export type FaultPoint = (typeof FAULT_POINTS)[keyof typeof FAULT_POINTS][number];

/** SIGKILLs this process if OCIRT_FAULT names `point`. */
export function faultPoint(point: FaultPoint): void {
  if (process.env.OCIRT_FAULT === point) process.kill(process.pid, 'SIGKILL');
}
