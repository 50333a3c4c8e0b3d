import { createContainer } from '../container/create.js';
import { StateStore } from '../container/state-store.js';
import * as native from '../native.js';
import { createFlags } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const created = createContainer(new StateStore(ctx.globals.root), { ...createFlags(args, ctx), waitForStart: true });
  native.closeFd(created.pidfd);
  return 0;
}
