import { createContainer } from '../container/create.js';
import { StateStore } from '../container/state-store.js';
import * as native from '../native.js';
import { bool, containerId, num, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const created = createContainer(new StateStore(ctx.globals.root), {
    id: containerId(args),
    bundle: str(args, 'bundle') ?? '.',
    pidFile: str(args, 'pid-file'),
    consoleSocket: str(args, 'console-socket'),
    noPivot: bool(args, 'no-pivot'),
    noNewKeyring: bool(args, 'no-new-keyring'),
    preserveFds: num(args, 'preserve-fds', 0),
    waitForStart: true,
    rootless: ctx.globals.rootless,
    warn: (m: string) => ctx.log.warn(m),
  });
  native.closeFd(created.pidfd);
  ctx.log.debug(`created ${created.state.id} pid ${created.state.pid}`);
  return 0;
}
