import { streamEvents } from '../../container/events.js';

export { parseDuration } from '../../container/events.js';
import { validateId } from '../../container/state-store.js';
import type { RuntimeContext } from '../context.js';

/** One event as runc's `events` prints it: the cgroup statistics, or an OOM kill. */
export type ContainerEvent = { type: 'stats'; id: string; data: Record<string, unknown> } | { type: 'oom'; id: string };

export interface EventsOptions {
  /** one stats event, then the end */
  stats?: boolean;
  /** milliseconds between stats events (default 5000) */
  intervalMs?: number;
}

/** The events as runc prints them, one JSON line each, until the container stops (or `signal` aborts). */
export function eventLines(
  ctx: RuntimeContext,
  id: string,
  o: { stats: boolean; intervalMs: number; signal?: AbortSignal },
  write: (line: string) => void,
): Promise<void> {
  return streamEvents(ctx.store, validateId(id), { ...o, write });
}

/**
 * The container's events until it stops (or the caller stops iterating: `break` ends the watch).
 * The first problem (no such container, stopped) is thrown by the first next().
 */
export async function* events(ctx: RuntimeContext, id: string, o: EventsOptions = {}): AsyncGenerator<ContainerEvent, void, undefined> {
  const queue: ContainerEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: unknown;
  const abort = new AbortController();
  const stream = eventLines(ctx, id, { stats: o.stats === true, intervalMs: o.intervalMs ?? 5000, signal: abort.signal }, (line) => {
    queue.push(JSON.parse(line) as ContainerEvent);
    wake?.();
  }).then(
    () => {
      done = true;
      wake?.();
    },
    (err: unknown) => {
      failure = err;
      done = true;
      wake?.();
    },
  );
  try {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (done) break;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
    if (failure !== undefined) throw failure;
  } finally {
    abort.abort();
    await stream;
  }
}
