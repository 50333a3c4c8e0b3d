import { resumeContainer } from '../container/pause.js';
import { StateStore } from '../container/state-store.js';
import { containerId } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  resumeContainer(new StateStore(ctx.globals.root), containerId(args));
  return 0;
}
