// create: the container's init made and waiting for start (or, for run, going straight on), its
// stdio as the caller asked: the caller's fds, /dev/null, or pipes whose other ends it gets back.
import { createContainer, type CreateOptions as ContainerCreateOptions, type Created } from '../../container/create.js';
import * as native from '../../native.js';
import { prepareStdio, type StdioOption, type StdioStreams } from '../stdio.js';
import type { RuntimeContext } from '../context.js';
import { checkedSource, type BundleSource } from './validate.js';

export interface CreateOptions {
  /** the init's stdin, stdout and stderr: 'inherit' (default), 'pipe', 'ignore', an fd, or one each */
  stdio?: StdioOption;
  /** a file to write the init's pid to */
  pidFile?: string;
  /** with process.terminal: the AF_UNIX socket that receives the pty master (runc's --console-socket) */
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** extra fds passed on to the container after stdio (3 .. 3+N-1) */
  preserveFds?: number;
}

export interface CreatedInit extends Created {
  /** the pipes' other ends (null where the caller did not ask for a pipe) */
  streams: StdioStreams;
}

/** The lifecycle layer's options for `source` and the caller's choices (the API's and the CLI's create and run). */
export function containerOptions(
  ctx: RuntimeContext,
  id: string,
  source: BundleSource,
  o: Omit<CreateOptions, 'stdio'>,
  stdio?: [number, number, number],
): Omit<ContainerCreateOptions, 'waitForStart'> {
  const src = checkedSource(source);
  return {
    id,
    bundle: typeof src === 'string' ? src : '.',
    ...(typeof src === 'string' ? {} : { given: src }),
    ...(stdio ? { stdio } : {}),
    ...(o.pidFile !== undefined ? { pidFile: o.pidFile } : {}),
    ...(o.consoleSocket !== undefined ? { consoleSocket: o.consoleSocket } : {}),
    noPivot: o.noPivot === true,
    noNewKeyring: o.noNewKeyring === true,
    preserveFds: o.preserveFds ?? 0,
    rootless: ctx.rootless,
    log: ctx.log,
  };
}

/** `waitForStart` false: the init goes on to its program right away (run), unless hooks need start. */
export function create(ctx: RuntimeContext, id: string, source: BundleSource, o: CreateOptions = {}, waitForStart = true): CreatedInit {
  const options = containerOptions(ctx, id, source, o);
  const stdio = prepareStdio(o.stdio);
  let created: Created;
  try {
    created = createContainer(ctx.store, { ...options, ...(stdio.fds ? { stdio: stdio.fds } : {}), waitForStart });
  } catch (err) {
    stdio.abort();
    throw err;
  }
  return { ...created, streams: stdio.launched() };
}

/** create as the CLI does it: the init left waiting for a later `start`, its pidfd closed. */
export function createDetached(ctx: RuntimeContext, id: string, bundle: string, o: Omit<CreateOptions, 'stdio'>): void {
  native.closeFd(create(ctx, id, bundle, o).pidfd);
}
