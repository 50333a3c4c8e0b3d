import { execAttached } from '../api/ops/exec.js';
import { bool, containerId, num, runtimeOf, str, strings } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): Promise<number> {
  const processFile = str(args, 'process');
  const command = strings(args, 'command');
  return execAttached(runtimeOf(ctx), {
    id: containerId(args),
    process: processFile
      ? { file: processFile }
      : {
          flags: {
            args: command,
            cwd: str(args, 'cwd'),
            env: strings(args, 'env'),
            tty: bool(args, 'tty'),
            user: str(args, 'user'),
            additionalGids: strings(args, 'additional-gids'),
            caps: strings(args, 'cap'),
            noNewPrivs: bool(args, 'no-new-privs'),
            apparmor: str(args, 'apparmor'),
            processLabel: str(args, 'process-label'),
          },
        },
    detach: bool(args, 'detach'),
    pidFile: str(args, 'pid-file'),
    consoleSocket: str(args, 'console-socket'),
    preserveFds: num(args, 'preserve-fds', 0),
    cgroups: strings(args, 'cgroup'),
    ignorePaused: bool(args, 'ignore-paused'),
  });
}
