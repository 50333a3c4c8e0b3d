// `update`: new limits for a created, running or paused container. Only the fields given are
// written (0 and absent mean "leave as is", as in runc), with two completions from what is in
// force (resources.json in the state dir after an update, else create's config in the record):
// a CPU quota or period given alone keeps the other, and a swap limit is converted against the
// memory limit in force. Device rules change only when the request has them (and then replace
// the old ones without a window).
import { existsSync, readFileSync } from 'node:fs';
import { ContainerError } from '../errors.js';
import { updateCgroups } from '../cgroups/manager.js';
import { fromStateFields } from '../cgroups/record.js';
import type { LinuxResources } from '../spec/types.js';
import { deriveStatus } from './status.js';
import { writeAtomic, type StateStore } from './state-store.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field by field, the request over what was there (arrays and scalars replace; objects merge). */
export function mergeResources(base: LinuxResources, req: LinuxResources): LinuxResources {
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isObj(a) || !isObj(b)) return b === undefined ? a : b;
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
    return out;
  };
  return merge(base, req) as LinuxResources;
}

/** What to write for an update request, given the resources in force (runc's completions). */
export function resourcesToApply(current: LinuxResources, req: LinuxResources): LinuxResources {
  const out: LinuxResources = structuredClone(req);
  const cpu = out.cpu;
  if (cpu) {
    const q = cpu.quota ?? 0;
    const p = cpu.period ?? 0;
    if (q !== 0 && p === 0 && current.cpu?.period) cpu.period = current.cpu.period;
    if (p !== 0 && q === 0 && current.cpu?.quota) cpu.quota = current.cpu.quota;
  }
  const mem = out.memory;
  if (mem && mem.swap !== undefined && mem.swap !== 0 && (mem.limit === undefined || mem.limit === 0) && current.memory?.limit) {
    mem.limit = current.memory.limit;
  }
  return out;
}

export function updateContainer(
  store: StateStore,
  id: string,
  req: LinuxResources,
  o: { rootless: boolean; warn(msg: string): void },
): void {
  const unlock = store.lock(id);
  try {
    const state = store.read(id);
    const status = deriveStatus(state, store.fifoPath(id));
    if (status === 'stopped' || status === 'creating') {
      throw new ContainerError('wrong-state', id, `cannot update container "${id}": container not running (it is ${status})`, status);
    }
    const path = store.resourcesPath(id);
    const current: LinuxResources = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as LinuxResources)
      : (store.readRecord(id)?.config.linux?.resources ?? {});
    updateCgroups(fromStateFields(state), resourcesToApply(current, req), o);
    writeAtomic(path, JSON.stringify(mergeResources(current, req)));
  } finally {
    unlock();
  }
}
