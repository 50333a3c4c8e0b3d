// cgroup placement of a container: its directory under the host's cgroup2 mount (where freeze,
// kill and process listing live) and, on a v1/v2 hybrid host, a directory in each v1 controller
// hierarchy whose limits the config sets (the unified hierarchy there has no controllers).
// Everything made here is listed in the state so that delete removes exactly that.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { posix as path } from 'node:path';
import { OcirtError, errnoName, sysError } from '../errors.js';
import { sleepMs } from '../sleep.js';
import type { ResourcePlan } from './resources.js';

export interface CgroupSet {
  /** the container's cgroup v2 directory, if any */
  v2?: string;
  /** v1 controller directories made for limits (hybrid hosts) */
  v1: string[];
}

export interface CgroupHost {
  cgroup2Mount?: string;
  v1Mounts: Record<string, string>;
}

/** linux.cgroupsPath is relative to each hierarchy's mount; without one, ocirt/<id>. */
export function cgroupRelPath(cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath && cgroupsPath.includes(':') && !cgroupsPath.startsWith('/')) {
    throw new OcirtError(
      `config.json: /linux/cgroupsPath "${cgroupsPath}" is in systemd's slice:prefix:name form, which needs --systemd-cgroup (not supported yet); use a path such as /ocirt/${id}`,
    );
  }
  const rel = path.normalize('/' + (cgroupsPath || `/ocirt/${id}`)).replace(/\/+$/, '');
  if (rel === '') throw new OcirtError(`config.json: /linux/cgroupsPath "${cgroupsPath}" names the root cgroup`);
  return rel;
}

/**
 * Every directory setupCgroups may make for these resources, made or not: create records them in
 * the state before making any, so that a create killed halfway leaves nothing `delete` cannot
 * find.
 */
export function plannedCgroups(host: CgroupHost, rel: string, resources: ResourcePlan): CgroupSet {
  const set: CgroupSet = { v1: [] };
  if (host.cgroup2Mount) set.v2 = host.cgroup2Mount + rel;
  if (isHybrid(host)) {
    for (const controller of new Set(resources.v1.map((w) => w.controller))) {
      const mount = host.v1Mounts[controller];
      if (mount) set.v1.push(mount + rel);
    }
  }
  return set;
}

/**
 * Create the container's cgroups and write its limits. With `optional` (an unprivileged caller
 * without a delegated hierarchy) a cgroup that may not be created is skipped, as runc's
 * --rootless=auto does; limits that cannot be applied then are an error, not silently lost.
 */
export function setupCgroups(host: CgroupHost, rel: string, resources: ResourcePlan, optional: boolean): CgroupSet {
  const set: CgroupSet = { v1: [] };
  try {
    if (host.cgroup2Mount) {
      const dir = host.cgroup2Mount + rel;
      if (mkdirOptional(dir, optional)) {
        set.v2 = dir;
        const needV2 = resources.v2.length > 0 && !isHybrid(host);
        if (needV2) {
          enableControllers(host.cgroup2Mount, rel, resources);
          for (const w of resources.v2) writeLimit(dir, w.file, w.value);
        }
      } else if (resources.v2.length && !isHybrid(host)) {
        throw new OcirtError(`cannot apply linux.resources: no permission to create cgroup ${dir}`);
      }
    }
    if (isHybrid(host)) {
      const byController = new Map<string, { file: string; value: string }[]>();
      for (const w of resources.v1) {
        if (!byController.has(w.controller)) byController.set(w.controller, []);
        byController.get(w.controller)!.push(w);
      }
      for (const [controller, writes] of byController) {
        const mount = host.v1Mounts[controller];
        if (!mount) throw new OcirtError(`cannot apply linux.resources: no cgroup v1 "${controller}" hierarchy on this host`);
        const dir = mount + rel;
        if (!mkdirOptional(dir, optional)) {
          throw new OcirtError(`cannot apply linux.resources: no permission to create cgroup ${dir}`);
        }
        set.v1.push(dir);
        if (controller === 'cpuset') inheritCpuset(mount, rel);
        for (const w of writes) writeLimit(dir, w.file, w.value);
      }
    }
    return set;
  } catch (err) {
    removeCgroups(set);
    throw err;
  }
}

/** A hybrid host: cgroup2 is mounted beside v1 controllers, and limits live in v1. */
function isHybrid(host: CgroupHost): boolean {
  return host.cgroup2Mount !== '/sys/fs/cgroup' && Object.keys(host.v1Mounts).length > 0;
}

function mkdirOptional(dir: string, optional: boolean): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch (err) {
    const code = errnoName(err);
    if (optional && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')) return false;
    throw sysError('create cgroup', dir, err);
  }
}

function writeLimit(dir: string, file: string, value: string): void {
  try {
    writeFileSync(path.join(dir, file), value);
  } catch (err) {
    throw sysError(`set ${file}=${value} in cgroup`, dir, err);
  }
}

/** v2: a controller's files exist in a cgroup only when every ancestor delegates it. */
function enableControllers(mount: string, rel: string, resources: ResourcePlan): void {
  const wanted = new Set<string>();
  for (const w of resources.v2) wanted.add(w.file.split('.')[0]);
  const parts = rel.split('/').filter(Boolean);
  let cur = mount;
  for (const part of parts) {
    const available = safeRead(path.join(cur, 'cgroup.controllers')).trim().split(/\s+/);
    const enable = [...wanted].filter((c) => available.includes(c)).map((c) => `+${c}`);
    if (enable.length) writeLimit(cur, 'cgroup.subtree_control', enable.join(' '));
    cur = path.join(cur, part);
  }
}

/** v1 cpuset: a new cpuset is empty and refuses tasks until cpus and mems are set. */
function inheritCpuset(mount: string, rel: string): void {
  let cur = mount;
  for (const part of rel.split('/').filter(Boolean)) {
    const next = path.join(cur, part);
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (safeRead(path.join(next, f)).trim() === '') writeLimit(next, f, safeRead(path.join(cur, f)).trim());
    }
    cur = next;
  }
}

export function addProcess(set: CgroupSet, pid: number): void {
  for (const dir of [...(set.v2 ? [set.v2] : []), ...set.v1]) {
    try {
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      throw sysError('move the container init into cgroup', dir, err);
    }
  }
}

export function cgroupPids(dir: string): number[] {
  return safeRead(path.join(dir, 'cgroup.procs'))
    .split('\n')
    .filter(Boolean)
    .map(Number);
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

export function removeCgroups(set: CgroupSet): void {
  for (const dir of set.v1) removeCgroup(dir);
  if (set.v2) removeCgroup(set.v2);
}

/** Remove a cgroup once its processes are gone (they may take a moment to exit after a kill). */
export function removeCgroup(dir: string): void {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      break;
    } catch (err) {
      const code = errnoName(err);
      if (code === 'ENOENT') break;
      if (code === 'EBUSY' && i < 2000) {
        killCgroup(dir);
        sleepMs(2);
        continue;
      }
      throw sysError('remove cgroup', dir, err);
    }
  }
  // The default parent ocirt/ is ocirt's own: remove it when the last container is gone.
  const parent = path.dirname(dir);
  if (path.basename(parent) === 'ocirt' && existsSync(parent)) {
    try {
      rmdirSync(parent);
    } catch {
      // other containers still live there
    }
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
