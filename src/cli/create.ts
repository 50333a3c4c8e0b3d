import { createDetached } from '../api/ops/create.js';
import { createFlags, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const { id, bundle, options } = createFlags(args);
  createDetached(runtimeOf(ctx), id, bundle, options);
  return 0;
}
