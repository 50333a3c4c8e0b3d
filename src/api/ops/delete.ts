import { deleteContainer } from '../../container/delete.js';
import { validateId } from '../../container/state-store.js';
import type { RuntimeContext } from '../context.js';

/**
 * Removes a stopped container (its cgroups, its state; then the poststop hooks); `force` kills a
 * created or running one first, and is no error when there is no such container (as runc).
 */
export function remove(ctx: RuntimeContext, id: string, force = false): void {
  validateId(id);
  // a lock left by a command killed before it made the state directory is taken over and removed
  // by deleteContainer
  if (force && !ctx.store.exists(id) && !ctx.store.lockExists(id)) return;
  deleteContainer(ctx.store, id, force, ctx.log);
}
