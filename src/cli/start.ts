import { start } from '../api/ops/start.js';
import { containerId, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  start(runtimeOf(ctx), containerId(args));
  return 0;
}
