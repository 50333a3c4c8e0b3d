// run as the CLI does it: in the foreground (signals forwarded, a terminal relayed, the exit status
// returned, the container deleted unless `keep`), or detached (created, started, left running).
// The API's Runtime.run holds the container itself instead (runtime.ts).
import { createContainer } from '../../container/create.js';
import { runForeground } from '../../container/run.js';
import { startContainer } from '../../container/start.js';
import * as native from '../../native.js';
import type { RuntimeContext } from '../context.js';
import { containerOptions, type CreateOptions } from './create.js';

type Flags = Omit<CreateOptions, 'stdio'>;

/** The container's exit status: its code, or 128 + the signal that killed it. */
export function runAttached(ctx: RuntimeContext, id: string, bundle: string, o: Flags, keep: boolean): Promise<number> {
  return runForeground(ctx.store, containerOptions(ctx, id, bundle, o), keep);
}

/** The same create/start split an engine would drive, in one call. */
export function runDetached(ctx: RuntimeContext, id: string, bundle: string, o: Flags): void {
  const created = createContainer(ctx.store, { ...containerOptions(ctx, id, bundle, o), waitForStart: true });
  native.closeFd(created.pidfd);
  startContainer(ctx.store, created.state.id, ctx.log);
}
