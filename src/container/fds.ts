// The fds a container's process gets beyond stdio, as runc hands them over: the ones systemd's
// socket activation gave ocirt (LISTEN_FDS, for create and run), then --preserve-fds N more, as
// fds 3 and up. Everything else ocirt was started with stays out (the init stub closes it).
import { statSync } from 'node:fs';
import { ArgumentError } from '../errors.js';

/** sd_listen_fds(3): LISTEN_FDS counts the fds from 3 when LISTEN_PID is this process. */
export function listenFdsFromEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number {
  if (!env.LISTEN_FDS || env.LISTEN_PID !== String(pid)) return 0;
  const n = Number(env.LISTEN_FDS);
  if (!Number.isInteger(n) || n < 0)
    throw new ArgumentError(`LISTEN_FDS=${JSON.stringify(env.LISTEN_FDS)}: expected the number of fds passed from 3 on`);
  return n;
}

/** Every fd the container is to get must be open here: a missing one is a mistake of the caller. */
export function checkPreservedFds(count: number): void {
  for (let fd = 3; fd < 3 + count; fd++) {
    try {
      statSync(`/proc/self/fd/${fd}`);
    } catch {
      throw new ArgumentError(
        `fd ${fd} is not open: --preserve-fds (plus LISTEN_FDS) passes fds 3 to ${2 + count}, each must be open in ocirt`,
      );
    }
  }
}
