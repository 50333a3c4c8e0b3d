import { kill } from '../api/ops/kill.js';
import { bool, containerId, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  kill(runtimeOf(ctx), containerId(args), (args.signal as string | number | undefined) ?? 'SIGTERM', bool(args, 'all'));
  return 0;
}
