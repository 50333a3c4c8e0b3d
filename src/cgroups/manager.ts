// cgroup v2 placement of a container: one directory per container under the host's cgroup2
// mount, created before the init is released and removed by delete. Resource limits are applied
// by a later layer; on a controller-less hierarchy (this project's hybrid hosts) there is
// nothing to limit, but freeze, kill and process listing still work.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { posix as path } from 'node:path';
import { OcirtError, errnoName, sysError } from '../errors.js';
import { sleepMs } from '../container/state-store.js';

export interface CgroupPlacement {
  /** absolute path of the container's cgroup directory */
  dir: string;
}

/** linux.cgroupsPath is relative to the cgroup2 mount; without one, ocirt/<id>. */
export function cgroupDirFor(mount: string, cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath && cgroupsPath.includes(':') && !cgroupsPath.startsWith('/')) {
    throw new OcirtError(
      `config.json: /linux/cgroupsPath "${cgroupsPath}" is in systemd's slice:prefix:name form, which needs --systemd-cgroup (not supported yet); use a path such as /ocirt/${id}`,
    );
  }
  const rel = cgroupsPath ? cgroupsPath : `/ocirt/${id}`;
  const dir = path.join(mount, path.normalize('/' + rel)).replace(/\/+$/, '');
  if (dir === mount) throw new OcirtError(`config.json: /linux/cgroupsPath "${cgroupsPath}" names the root cgroup`);
  return dir;
}

/**
 * Create the cgroup. Returns undefined when an unprivileged caller may not create it and
 * `optional` is set (rootless without a delegated hierarchy: the container runs in the caller's).
 */
export function createCgroup(dir: string, optional: boolean): CgroupPlacement | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    return { dir };
  } catch (err) {
    const code = errnoName(err);
    if (optional && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')) return undefined;
    throw sysError('create cgroup', dir, err);
  }
}

export function addProcess(c: CgroupPlacement, pid: number): void {
  try {
    writeFileSync(path.join(c.dir, 'cgroup.procs'), String(pid));
  } catch (err) {
    throw sysError('move the container init into cgroup', c.dir, err);
  }
}

export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** SIGKILL everything in the cgroup at once (cgroup.kill, Linux 5.14+). */
export function killCgroup(dir: string): boolean {
  try {
    writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

/** Remove the cgroup once its processes are gone (they may take a moment to exit after a kill). */
export function removeCgroup(dir: string): void {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      break;
    } catch (err) {
      const code = errnoName(err);
      if (code === 'ENOENT') break;
      if (code === 'EBUSY' && i < 500) {
        killCgroup(dir);
        sleepMs(2);
        continue;
      }
      throw sysError('remove cgroup', dir, err);
    }
  }
  // Remove the parents ocirt made (ocirt/), but never one that still holds other containers.
  const parent = path.dirname(dir);
  if (path.basename(parent) === 'ocirt') {
    try {
      rmdirSync(parent);
    } catch {
      // other containers still live there
    }
  }
}
