// A container's status is derived from the live system every time, never trusted from
// state.json: the pid must still be the same process (same start time), not a zombie, the
// exec fifo tells "created" from "running", and the container's freezer "paused".
import { existsSync, readFileSync } from 'node:fs';
import { freezerOf, fromStateFields, isFrozen } from '../cgroups/record.js';
import type { StoredState } from './state-store.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface ProcStat {
  state: string;
  startTime: number;
}

/** Fields of /proc/<pid>/stat after the command name, which may itself contain spaces and ")". */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  return { state: rest[0], startTime: Number(rest[19]) };
}

export function isSameProcess(pid: number, startTime: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X';
}

export function deriveStatus(state: StoredState, fifoPath: string): Status {
  // pid 0: create recorded the container but has not (or never, if it was killed) started its init
  if (state.pid === 0) return 'creating';
  if (!isSameProcess(state.pid, state.pidStartTime)) return 'stopped';
  // the init exists, create has not finished (or was killed before it did)
  if (state.creating) return 'creating';
  if (existsSync(fifoPath)) return 'created';
  if (isFrozen(freezerOf(fromStateFields(state)))) return 'paused';
  return 'running';
}
