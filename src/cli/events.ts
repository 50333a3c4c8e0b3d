import { parseDuration, streamEvents } from '../container/events.js';
import { StateStore } from '../container/state-store.js';
import { bool, containerId, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export async function run(args: CommandArgs, ctx: CommandContext): Promise<number> {
  await streamEvents(new StateStore(ctx.globals.root), containerId(args), {
    stats: bool(args, 'stats'),
    intervalMs: parseDuration(str(args, 'interval') ?? '5s'),
    write: (line) => process.stdout.write(line + '\n'),
  });
  return 0;
}
