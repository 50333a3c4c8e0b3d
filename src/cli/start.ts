import { startContainer } from '../container/start.js';
import { StateStore } from '../container/state-store.js';
import { containerId } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  startContainer(new StateStore(ctx.globals.root), containerId(args), ctx.log);
  return 0;
}
