import { pause } from '../api/ops/pause.js';
import { containerId, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  pause(runtimeOf(ctx), containerId(args));
  return 0;
}
