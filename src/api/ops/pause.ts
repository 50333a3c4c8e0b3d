import { pauseContainer, resumeContainer } from '../../container/pause.js';
import { validateId } from '../../container/state-store.js';
import type { RuntimeContext } from '../context.js';

/** Freezes every process of a running container (its cgroup freezer). */
export function pause(ctx: RuntimeContext, id: string): void {
  pauseContainer(ctx.store, validateId(id));
}

export function resume(ctx: RuntimeContext, id: string): void {
  resumeContainer(ctx.store, validateId(id));
}
