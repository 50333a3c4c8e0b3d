// state and list: read the store, derive each status. Small on purpose: `ocirt state` loads this.
import { deriveStatus } from '../../container/status.js';
import { toRuntimeState, type RuntimeState } from '../../container/runtime-state.js';
import { validateId } from '../../container/state-store.js';
import type { RuntimeContext } from '../context.js';

export type { RuntimeState as ContainerState } from '../../container/runtime-state.js';

export function state(ctx: RuntimeContext, id: string): RuntimeState {
  const store = ctx.store;
  validateId(id);
  const s = store.read(id);
  return toRuntimeState(s, deriveStatus(s, store.fifoPath(id)));
}

export function list(ctx: RuntimeContext): RuntimeState[] {
  const store = ctx.store;
  const states: RuntimeState[] = [];
  for (const id of store.list()) {
    try {
      const s = store.read(id);
      states.push(toRuntimeState(s, deriveStatus(s, store.fifoPath(id))));
    } catch (err) {
      // removed while listing: not there; a damaged record: said, and the others still listed (runc)
      if (store.exists(id)) ctx.log.warn(err instanceof Error ? err.message : String(err));
    }
  }
  return states;
}
