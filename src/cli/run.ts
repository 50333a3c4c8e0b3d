import { runAttached, runDetached } from '../api/ops/run.js';
import { bool, createFlags, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export async function run(args: CommandArgs, ctx: CommandContext): Promise<number> {
  const { id, bundle, options } = createFlags(args);
  if (bool(args, 'detach')) {
    runDetached(runtimeOf(ctx), id, bundle, options);
    return 0;
  }
  return runAttached(runtimeOf(ctx), id, bundle, options, bool(args, 'keep'));
}
