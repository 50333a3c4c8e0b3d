import { remove } from '../api/ops/delete.js';
import { bool, containerId, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  remove(runtimeOf(ctx), containerId(args), bool(args, 'force'));
  return 0;
}
