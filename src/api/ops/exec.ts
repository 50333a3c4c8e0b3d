// exec: one more process in a running container, held by the caller (its pidfd, its exit, its pipes).
import { execContainer, prepareExec, type ExecOptions as ContainerExecOptions } from '../../container/exec.js';
import { argsOnly, type ExecProcessSource } from '../../container/exec-process.js';
import { ArgumentError } from '../../errors.js';
import type { Process } from '../../spec/types.js';
import { prepareStdio, type StdioOption, type StdioStreams } from '../stdio.js';
import type { RuntimeContext } from '../context.js';

export interface ExecOptions {
  /** the process's stdin, stdout and stderr: 'inherit' (default), 'pipe', 'ignore', an fd, or one each */
  stdio?: StdioOption;
  /** with process.terminal: the AF_UNIX socket that receives the pty master */
  consoleSocket?: string;
  pidFile?: string;
  preserveFds?: number;
  /** sub-cgroups of the container's for the process (runc's --cgroup) */
  cgroups?: string[];
  /** exec into a paused container (the process starts once it is resumed) */
  ignorePaused?: boolean;
}

export interface ExecLaunched {
  pid: number;
  pidfd: number;
  streams: StdioStreams;
}

/**
 * `command`: the config's process with these args (runc's `exec ID ARGS`), or a whole
 * runtime-spec process object (runc's `exec -p`), checked as config.json's process would be.
 */
export async function exec(
  ctx: RuntimeContext,
  id: string,
  command: readonly string[] | Process,
  o: ExecOptions = {},
): Promise<ExecLaunched> {
  const source: ExecProcessSource = Array.isArray(command) ? { flags: argsOnly(command.map(String)) } : { value: command };
  if (Array.isArray(command) && command.length === 0)
    throw new ArgumentError('exec: the command is empty: give the program and its arguments');
  const stdio = prepareStdio(o.stdio);
  try {
    const prepared = await prepareExec(ctx.store, {
      id,
      process: source,
      detach: true,
      ...(o.pidFile !== undefined ? { pidFile: o.pidFile } : {}),
      ...(o.consoleSocket !== undefined ? { consoleSocket: o.consoleSocket } : {}),
      preserveFds: o.preserveFds ?? 0,
      cgroups: o.cgroups ?? [],
      ignorePaused: o.ignorePaused === true,
      warn: (m) => ctx.log.warn(m),
      debug: (m) => ctx.log.debug(m),
      ...(stdio.fds ? { stdio: stdio.fds } : {}),
    });
    const launched = prepared.launch();
    return { pid: launched.pid, pidfd: launched.pidfd, streams: stdio.launched() };
  } catch (err) {
    stdio.abort();
    throw err;
  }
}

/**
 * exec as the CLI does it: in the foreground (signals forwarded, a terminal relayed, the process's
 * exit status returned) or detached (0 once the program runs).
 */
export function execAttached(ctx: RuntimeContext, o: Omit<ContainerExecOptions, 'warn' | 'debug'>): Promise<number> {
  return execContainer(ctx.store, { ...o, warn: (m) => ctx.log.warn(m), debug: (m) => ctx.log.debug(m) });
}
