// create: the container's init made and waiting for start (or, for run, going straight on), its
// stdio as the caller asked: the caller's fds, /dev/null, or pipes whose other ends it gets back.
import { createContainer, type Created } from '../../container/create.js';
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

/** `waitForStart` false: the init goes on to its program right away (run), unless hooks need start. */
export function create(ctx: RuntimeContext, id: string, source: BundleSource, o: CreateOptions = {}, waitForStart = true): CreatedInit {
  const src = checkedSource(source);
  const stdio = prepareStdio(o.stdio);
  let created: Created;
  try {
    created = createContainer(ctx.store, {
      id,
      bundle: typeof src === 'string' ? src : '.',
      ...(typeof src === 'string' ? {} : { given: src }),
      ...(stdio.fds ? { stdio: stdio.fds } : {}),
      ...(o.pidFile !== undefined ? { pidFile: o.pidFile } : {}),
      ...(o.consoleSocket !== undefined ? { consoleSocket: o.consoleSocket } : {}),
      noPivot: o.noPivot === true,
      noNewKeyring: o.noNewKeyring === true,
      preserveFds: o.preserveFds ?? 0,
      waitForStart,
      rootless: ctx.rootless,
      log: ctx.log,
    });
  } catch (err) {
    stdio.abort();
    throw err;
  }
  return { ...created, streams: stdio.launched() };
}
