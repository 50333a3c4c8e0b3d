import { killContainer } from '../../container/kill.js';
import { parseSignal } from '../../container/signals.js';
import { validateId } from '../../container/state-store.js';
import type { RuntimeContext } from '../context.js';

/** A signal (a number, or a name: 'TERM', 'SIGKILL', 'RTMIN+1'; 0 checks it lives) to the init, or with `all` to every process. */
export function kill(ctx: RuntimeContext, id: string, signal: number | string = 'SIGTERM', all = false): void {
  const n = parseSignal(signal);
  killContainer(ctx.store, validateId(id), n, all);
  ctx.log.debug(`kill ${id}: signal ${n}${all ? ' to every process' : ''} sent`);
}
