// `events`: the container's cgroup statistics as runc prints them ({"type":"stats","id","data"}),
// once (--stats) or every interval, and {"type":"oom","id"} each time the OOM killer strikes in
// it (memory.events' oom_kill on v2, memory.oom_control's on v1, watched between the stats).
// The stream ends when the container has stopped, as runc's does.
import { readdirSync, readFileSync } from 'node:fs';
import { ArgumentError, ContainerError } from '../errors.js';
import { hugepageDirToSize } from '../cgroups/convert.js';
import { oomKills } from '../cgroups/manager.js';
import { fromStateFields, type ContainerCgroups } from '../cgroups/record.js';
import { readStats, statsJson } from '../cgroups/stats.js';
import { deriveStatus } from './status.js';
import type { StateStore } from './state-store.js';

function hugepageSizes(): string[] {
  try {
    return readdirSync('/sys/kernel/mm/hugepages')
      .map(hugepageDirToSize)
      .filter((s): s is string => s !== undefined);
  } catch {
    return [];
  }
}

function read(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function statsEvent(id: string, c: ContainerCgroups): string {
  return statsJson({ type: 'stats', id, data: readStats(c, read, hugepageSizes()) });
}

function running(store: StateStore, id: string): { cgroups: ContainerCgroups; stopped: boolean } {
  const state = store.read(id);
  return { cgroups: fromStateFields(state), stopped: deriveStatus(state, store.fifoPath(id)) === 'stopped' };
}

/** Go's time.ParseDuration for the forms runc users pass: "5s", "100ms", "1m30s", "1.5h". */
export function parseDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * units[m[2]];
    end = re.lastIndex;
  }
  if (s === '' || end !== s.length)
    throw new ArgumentError(`--interval: invalid duration "${s}": expected a number with a unit, such as 5s or 250ms`);
  return total;
}

export async function streamEvents(
  store: StateStore,
  id: string,
  o: { stats: boolean; intervalMs: number; write(line: string): void; signal?: AbortSignal },
): Promise<void> {
  if (!(o.intervalMs > 0)) throw new ArgumentError('--interval: the interval must be greater than 0');
  const first = running(store, id);
  if (first.stopped)
    throw new ContainerError('wrong-state', id, `cannot get events of container "${id}": container not running`, 'stopped');
  if (o.stats) {
    o.write(statsEvent(id, first.cgroups));
    return;
  }
  const c = first.cgroups;
  let ooms = oomKills(c);
  const tick = Math.min(o.intervalMs, 100);
  let nextStats = Date.now() + o.intervalMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, tick));
    if (o.signal?.aborted) return;
    const now = oomKills(c);
    for (; ooms < now; ooms++) o.write(JSON.stringify({ type: 'oom', id }));
    let gone: boolean;
    try {
      gone = running(store, id).stopped;
    } catch {
      gone = true; // deleted meanwhile
    }
    if (gone) return;
    if (Date.now() >= nextStats) {
      o.write(statsEvent(id, c));
      nextStats += o.intervalMs;
    }
  }
}
