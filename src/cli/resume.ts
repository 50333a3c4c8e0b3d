import { resume } from '../api/ops/pause.js';
import { containerId, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  resume(runtimeOf(ctx), containerId(args));
  return 0;
}
