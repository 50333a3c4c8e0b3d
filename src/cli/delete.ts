import { deleteContainer } from '../container/delete.js';
import { StateStore } from '../container/state-store.js';
import { bool, containerId } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const store = new StateStore(ctx.globals.root);
  const id = containerId(args);
  // runc: `delete --force` of a container that does not exist succeeds. A lock file left by a
  // command killed before it made the state directory is taken over and removed by deleteContainer.
  if (bool(args, 'force') && !store.exists(id) && !store.lockExists(id)) return 0;
  deleteContainer(store, id, bool(args, 'force'), ctx.log);
  return 0;
}
