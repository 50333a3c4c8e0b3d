import { createContainer } from '../container/create.js';
import { runForeground } from '../container/run.js';
import { startContainer } from '../container/start.js';
import { StateStore } from '../container/state-store.js';
import * as native from '../native.js';
import { bool, containerId, num, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export async function run(args: CommandArgs, ctx: CommandContext): Promise<number> {
  const store = new StateStore(ctx.globals.root);
  const opts = {
    id: containerId(args),
    bundle: str(args, 'bundle') ?? '.',
    pidFile: str(args, 'pid-file'),
    consoleSocket: str(args, 'console-socket'),
    noPivot: bool(args, 'no-pivot'),
    noNewKeyring: bool(args, 'no-new-keyring'),
    preserveFds: num(args, 'preserve-fds', 0),
    rootless: ctx.globals.rootless,
    warn: (m: string) => ctx.log.warn(m),
  };
  if (bool(args, 'detach')) {
    // Detached: the same create/start split an engine would drive, in one invocation.
    const created = createContainer(store, { ...opts, waitForStart: true });
    native.closeFd(created.pidfd);
    startContainer(store, opts.id);
    return 0;
  }
  return runForeground(store, opts, bool(args, 'keep'));
}
