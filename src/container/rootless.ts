// Whether ocirt runs rootless, decided as runc decides it. Not the uid alone: rootless podman runs
// the runtime as uid 0 inside its own user namespace, where that uid owns nothing on the host (no
// /run, no cgroup directories, no mknod). Such a process is "in a user namespace": its uid_map is
// not the identity map of the initial namespace.
import { readFileSync } from 'node:fs';

/** /proc/self/uid_map of the initial user namespace: every id maps to itself. */
const IDENTITY_MAP = /^\s*0\s+0\s+4294967295\s*$/;

/** runc's userns.RunningInUserNS: the uid_map is anything but the identity map. */
export function runningInUserNamespace(uidMap: string | undefined = readUidMap()): boolean {
  // No /proc (or no uid_map): nothing says we are confined; behave as the initial namespace.
  if (uidMap === undefined) return false;
  return !IDENTITY_MAP.test(uidMap);
}

function readUidMap(): string | undefined {
  try {
    return readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The default --root, as runc's: /run/ocirt for root in the initial user namespace;
 * $XDG_RUNTIME_DIR/ocirt for anyone else (an unprivileged user, or uid 0 of a user namespace unless
 * $USER says "root"). '' when it would need XDG_RUNTIME_DIR and that is unset: the state store then
 * asks for --root.
 */
export function defaultStateRoot(
  env: NodeJS.ProcessEnv = process.env,
  euid: number = process.geteuid?.() ?? 0,
  inUserns: () => boolean = runningInUserNamespace,
): string {
  const xdg = env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR.replace(/\/+$/, '')}/ocirt` : '';
  if (euid !== 0) return xdg;
  // root: only read uid_map when there is a choice to make
  if (xdg && inUserns() && env.USER !== 'root') return xdg;
  return '/run/ocirt';
}

/**
 * --rootless auto|true|false -> whether cgroups are managed as runc's rootless mode does (a cgroup
 * the caller may not create is skipped instead of failing the container). auto: an unprivileged
 * user, or uid 0 in a user namespace (its "root" cannot know whether the cgroup tree is delegated).
 */
export function rootlessCgroups(
  mode: 'auto' | 'true' | 'false',
  euid: number = process.geteuid?.() ?? 0,
  inUserns: () => boolean = runningInUserNamespace,
): boolean {
  if (mode !== 'auto') return mode === 'true';
  return euid !== 0 || inUserns();
}
