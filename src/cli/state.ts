import { state } from '../api/ops/state.js';
import { containerId, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  process.stdout.write(JSON.stringify(state(runtimeOf(ctx), containerId(args)), null, 2) + '\n');
  return 0;
}
