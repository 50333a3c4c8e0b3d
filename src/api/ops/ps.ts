import { containerProcesses } from '../../container/ps.js';
import { validateId } from '../../container/state-store.js';
import type { RuntimeContext } from '../context.js';

/** The host pids of every process in the container's cgroups. */
export function ps(ctx: RuntimeContext, id: string): number[] {
  return containerProcesses(ctx.store, validateId(id));
}
