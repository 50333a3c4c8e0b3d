import { StateStore } from '../container/state-store.js';
import { deriveStatus } from '../container/status.js';
import { toRuntimeState } from '../container/runtime-state.js';
import { containerId } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const store = new StateStore(ctx.globals.root);
  const id = containerId(args);
  const s = store.read(id);
  process.stdout.write(JSON.stringify(toRuntimeState(s, deriveStatus(s, store.fifoPath(id))), null, 2) + '\n');
  return 0;
}
