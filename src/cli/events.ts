import { eventLines, parseDuration } from '../api/ops/events.js';
import { bool, containerId, runtimeOf, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export async function run(args: CommandArgs, ctx: CommandContext): Promise<number> {
  await eventLines(
    runtimeOf(ctx),
    containerId(args),
    { stats: bool(args, 'stats'), intervalMs: parseDuration(str(args, 'interval') ?? '5s') },
    (line) => process.stdout.write(line + '\n'),
  );
  return 0;
}
