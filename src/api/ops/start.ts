import { startContainer } from '../../container/start.js';
import { validateId } from '../../container/state-store.js';
import type { RuntimeContext } from '../context.js';

/** Runs the user's program of a created container (its startContainer and poststart hooks too). */
export function start(ctx: RuntimeContext, id: string): void {
  startContainer(ctx.store, validateId(id), ctx.log);
}
