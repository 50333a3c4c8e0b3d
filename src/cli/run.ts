import { createContainer } from '../container/create.js';
import { runForeground } from '../container/run.js';
import { startContainer } from '../container/start.js';
import { StateStore } from '../container/state-store.js';
import * as native from '../native.js';
import { bool, createFlags } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export async function run(args: CommandArgs, ctx: CommandContext): Promise<number> {
  const store = new StateStore(ctx.globals.root);
  const opts = createFlags(args, ctx);
  if (bool(args, 'detach')) {
    // Detached: the same create/start split an engine would drive, in one invocation.
    const created = createContainer(store, { ...opts, waitForStart: true });
    native.closeFd(created.pidfd);
    startContainer(store, opts.id, ctx.log);
    return 0;
  }
  return runForeground(store, opts, bool(args, 'keep'));
}
