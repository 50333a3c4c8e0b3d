import { killContainer } from '../container/kill.js';
import { parseSignal } from '../container/signals.js';
import { StateStore } from '../container/state-store.js';
import { bool, containerId } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const signal = parseSignal(args.signal as string | number | undefined);
  const id = containerId(args);
  killContainer(new StateStore(ctx.globals.root), id, signal, bool(args, 'all'));
  ctx.log.debug(`kill ${id}: signal ${signal}${bool(args, 'all') ? ' to every process' : ''} sent`);
  return 0;
}
