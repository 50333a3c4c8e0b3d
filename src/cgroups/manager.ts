// A container's cgroups, from creation to removal: the one interface src/container uses.
//
//   setupCgroups    make the directories (one per hierarchy: the cgroup2 one and, on v1/hybrid
//                   hosts, every v1 hierarchy), enable controllers down a v2 path, write the limits
//                   and device rules, all before the init exists
//   openPlacement   what spawnInit needs to start a process inside them: a cgroup2 directory fd
//                   (CLONE_INTO_CGROUP) and the v1 `tasks` fds the child joins itself through
//   updateCgroups   new limits for a running container
//   freeze / pids / signalAll / removeCgroups / oomKills
//
// Which driver writes limits (v1.ts or v2.ts) follows from the container's record (record.ts).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmdirSync, constants as FS } from 'node:fs';
import { posix as path } from 'node:path';
import { OcirtError, errnoName, sysError } from '../errors.js';
import { sleepMs } from '../sleep.js';
import type { LinuxResources } from '../spec/types.js';
import type { CgroupMountFacts } from '../linux/cgroup-mounts.js';
import type { CgroupDriver } from './driver.js';
import { readCg, readKeyed, writeExisting } from './files.js';
import type { CgroupHost, Hierarchy } from './host.js';
import { containerDir } from './paths.js';
import { freezerOf, isFrozen, limitsOnV1, type ContainerCgroups, type Freezer } from './record.js';
import { v1Driver } from './v1.js';
import { v2Driver } from './v2.js';

export type { ContainerCgroups } from './record.js';

export interface SetupOptions {
  id: string;
  cgroupsPath?: string;
  resources?: LinuxResources;
  /**
   * runc's rootless mode (an unprivileged caller, or uid 0 in a user namespace): without an
   * explicit cgroupsPath a cgroup it may not create is skipped with one warning, and device rules
   * are not applied. Limits it cannot apply are still an error.
   */
  rootless: boolean;
  warn(msg: string): void;
}

function driverFor(c: ContainerCgroups): CgroupDriver {
  return limitsOnV1(c) ? v1Driver : v2Driver;
}

/** The directories a container gets on this host: where setupCgroups makes them. */
function plannedDirs(host: CgroupHost, cgroupsPath: string | undefined, id: string): { h: Hierarchy; dir: string }[] {
  return [...(host.unified ? [host.unified] : []), ...host.v1].map((h) => ({ h, dir: containerDir(h, cgroupsPath, id) }));
}

/**
 * Every directory setupCgroups may make for this container, made or not: create records them in
 * the state before making any, so that a create killed halfway leaves nothing `delete` cannot find
 * (removeCgroups passes over a directory that was never made).
 */
export function plannedCgroups(host: CgroupHost, o: { id: string; cgroupsPath?: string }): ContainerCgroups {
  const c: ContainerCgroups = { v1: [] };
  for (const { h, dir } of plannedDirs(host, o.cgroupsPath, o.id)) {
    if (h.key === '') c.v2 = dir;
    else c.v1.push({ key: h.key, dir });
  }
  return c;
}

/** ocirt's own cgroup in a hierarchy, as a directory (where a container without one of its own runs). */
function ownDir(h: Hierarchy): string {
  const root = h.mountRoot.replace(/\/+$/, '');
  return h.mountPoint.replace(/\/+$/, '') + (h.own.startsWith(root) ? h.own.slice(root.length) : h.own);
}

/** What the container's cgroup mounts show (src/linux/cgroup-mounts.ts): its directories, or ocirt's own where it has none. */
export function cgroupMountFacts(host: CgroupHost, c: ContainerCgroups): CgroupMountFacts {
  if (host.mode === 'none') return { mode: 'none', v1: [] };
  if (host.mode === 'v2') return { mode: 'v2', v2Mount: host.unified!.mountPoint, v2Dir: c.v2 ?? ownDir(host.unified!), v1: [] };
  return {
    mode: 'v1',
    v1: host.v1.map((h) => ({
      name: path.basename(h.mountPoint),
      options: h.key,
      dir: c.v1.find((x) => x.key === h.key)?.dir ?? ownDir(h),
    })),
  };
}

type MadeDir = 'created' | 'existing' | 'denied';

/** mkdir, making missing parents; each directory made is appended to `made` (parents first). */
function makeDir(dir: string, made: string[]): MadeDir {
  try {
    mkdirSync(dir);
    made.push(dir);
    return 'created';
  } catch (err) {
    const code = errnoName(err);
    if (code === 'EEXIST') return 'existing';
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'denied';
    if (code !== 'ENOENT') throw sysError('create cgroup', dir, err);
  }
  const parent = path.dirname(dir);
  if (parent === dir) throw new OcirtError(`create cgroup ${dir}: no such hierarchy`);
  const p = makeDir(parent, made);
  if (p === 'denied') return p;
  return makeDir(dir, made);
}

/** runc refuses a cgroup that is already frozen and warns about one that already has processes. */
function checkExisting(dir: string, h: Hierarchy, warn: (m: string) => void, warned: { procs: boolean }): void {
  const frozen =
    (h.key === '' && readCg(`${dir}/cgroup.freeze`)?.trim() === '1') ||
    (h.controllers.includes('freezer') && readCg(`${dir}/freezer.state`)?.trim() === 'FROZEN');
  if (frozen) {
    throw new OcirtError(
      `cgroup ${dir} already exists and is frozen: the container could not run in it (thaw it, or use another cgroupsPath)`,
    );
  }
  const procs = (readCg(`${dir}/cgroup.procs`) ?? '').split('\n').filter(Boolean);
  if (procs.length && !warned.procs) {
    warned.procs = true;
    warn(
      `cgroup ${dir} already has ${procs.length} process(es) (${procs.slice(0, 5).join(', ')}${procs.length > 5 ? ', ...' : ''}): the container shares it with them`,
    );
  }
}

/**
 * cgroup v2: a controller's files exist in a cgroup only when every ancestor enables it in
 * cgroup.subtree_control. Like runc, enable every available controller down to the container's
 * parent; one that cannot be enabled (a parent with processes of its own) is left for the
 * limits that need it to report.
 */
function enableControllers(h: Hierarchy, dir: string): void {
  const root = h.mountPoint.replace(/\/+$/, '');
  const parts = dir.slice(root.length).split('/').filter(Boolean);
  let cur = root;
  for (const part of parts) {
    const available = (readCg(`${cur}/cgroup.controllers`) ?? '').split(/\s+/).filter(Boolean);
    const enabled = new Set((readCg(`${cur}/cgroup.subtree_control`) ?? '').split(/\s+/).filter(Boolean));
    const missing = available.filter((c) => !enabled.has(c));
    if (missing.length) {
      try {
        writeExisting(`${cur}/cgroup.subtree_control`, missing.map((c) => `+${c}`).join(' '));
      } catch {
        for (const c of missing) {
          try {
            writeExisting(`${cur}/cgroup.subtree_control`, `+${c}`);
          } catch {
            // reported by the limit that needs it, if any
          }
        }
      }
    }
    cur = `${cur}/${part}`;
  }
}

/**
 * cgroup v1 cpuset: a new cpuset has no CPUs and no memory nodes and refuses tasks until given
 * some. The directories made just now (`made`) get those of the closest existing ancestor.
 */
function inheritCpuset(h: Hierarchy, dir: string, made: readonly string[]): void {
  const root = h.mountPoint.replace(/\/+$/, '');
  let parent = root;
  let values: string[] | undefined;
  for (const part of dir.slice(root.length).split('/').filter(Boolean)) {
    const cur = `${parent}/${part}`;
    if (made.includes(cur)) {
      values ??= ['cpuset.cpus', 'cpuset.mems'].map((f) => (readCg(`${parent}/${f}`) ?? '').trim());
      ['cpuset.cpus', 'cpuset.mems'].forEach((f, i) => {
        try {
          writeExisting(`${cur}/${f}`, values![i]);
        } catch (err) {
          throw sysError(`set ${f} (copied from the parent, "${values![i]}") of cgroup`, cur, err);
        }
      });
    }
    parent = cur;
  }
}

function writable(path: string): boolean {
  try {
    closeSync(openSync(path, FS.O_WRONLY));
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether an unprivileged caller can start a process in this directory: on cgroup2 it needs
 * write access to cgroup.procs there and in the closest cgroup that holds both its own cgroup and
 * the target (the kernel's delegation rule, which CLONE_INTO_CGROUP follows too); on v1 only to
 * the target's tasks file.
 */
function canPlace(h: Hierarchy, dir: string): boolean {
  if (h.key !== '') return writable(`${dir}/tasks`);
  const own = ownDir(h).split('/');
  const target = dir.split('/');
  let i = 0;
  while (i < own.length && i < target.length && own[i] === target[i]) i++;
  return writable(`${own.slice(0, i).join('/')}/cgroup.procs`) && writable(`${dir}/cgroup.procs`);
}

function denied(dir: string, rootless: boolean): string {
  return `create cgroup ${dir}: permission denied${rootless ? ' (a rootless container needs a cgroup delegated to its user for this)' : ''}`;
}

export function setupCgroups(host: CgroupHost, o: SetupOptions): ContainerCgroups {
  const made: string[] = [];
  const c: ContainerCgroups = { v1: [] };
  const skipped = new Map<string, string>(); // hierarchy key -> dir
  try {
    const warned = { procs: false };
    for (const { h, dir } of plannedDirs(host, o.cgroupsPath, o.id)) {
      const mark = made.length;
      let r = makeDir(dir, made);
      if (r !== 'denied' && o.rootless && !canPlace(h, dir)) {
        // made, but not delegated far enough to start the init in it: take back what was made
        for (const d of made.splice(mark).reverse()) rmdirSync(d);
        r = 'denied';
      }
      if (r === 'denied') {
        // runc: rootless without an explicit path runs without the cgroups it may not create
        if (o.rootless && o.cgroupsPath === undefined) {
          skipped.set(h.key, dir);
          continue;
        }
        throw new OcirtError(denied(dir, o.rootless));
      }
      if (r === 'existing') checkExisting(dir, h, o.warn, warned);
      if (h.key === '') c.v2 = dir;
      else c.v1.push({ key: h.key, dir });
    }
    if (skipped.size) {
      o.warn(
        `no permission to create cgroup ${[...skipped.values()].join(', ')}: the container runs in ocirt's own cgroup there (rootless, no delegated cgroup)`,
      );
    }
    if (host.mode === 'v2' && c.v2) enableControllers(host.unified!, c.v2);
    const cpuset = host.v1.find((h) => h.controllers.includes('cpuset'));
    const cpusetDir = c.v1.find((x) => x.key === cpuset?.key)?.dir;
    if (cpuset && cpusetDir) inheritCpuset(cpuset, cpusetDir, made);

    const limitsV1 = host.mode === 'v1' || host.mode === 'hybrid';
    const driver = limitsV1 ? v1Driver : v2Driver;
    driver.apply(c, o.resources, {
      update: false,
      rootless: o.rootless,
      warn: o.warn,
      missing(controller) {
        if (!limitsV1) {
          const dir = skipped.get('');
          return dir ? denied(dir, o.rootless) : `this host has no cgroup2 hierarchy`;
        }
        const h = host.v1.find((x) => x.controllers.includes(controller));
        if (!h)
          return `no cgroup v1 hierarchy has the ${controller} controller on this host (looked for a cgroup mount with option "${controller}" in /proc/self/mountinfo)`;
        return denied(skipped.get(h.key) ?? h.mountPoint, o.rootless);
      },
    });
    return c;
  } catch (err) {
    for (const dir of made.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // keep undoing; the original error is the one to report
      }
    }
    throw err;
  }
}

/** New limits for a running container (`update`). */
export function updateCgroups(c: ContainerCgroups, r: LinuxResources, o: { rootless: boolean; warn(msg: string): void }): void {
  if (!c.v2 && !c.v1.length)
    throw new OcirtError(
      'the container has no cgroup of its own (it was created without permission to make one): its limits cannot be changed',
    );
  driverFor(c).apply(c, r, {
    update: true,
    rootless: o.rootless,
    warn: o.warn,
    missing: (controller) => `the container has no cgroup with the ${controller} controller`,
  });
}

export interface Placement {
  /** an O_DIRECTORY fd of the cgroup2 directory, for CLONE_INTO_CGROUP */
  cgroupFd?: number;
  /** O_WRONLY fds of each v1 directory's `tasks` file, for the child to join itself */
  joinFds: number[];
  /** the v1 directories, in joinFds' order (an error's index names one) */
  joinDirs: string[];
  close(): void;
}

/**
 * The fds that start a process (spawnInit's cgroupFd and cgroupJoinFds) inside the container's
 * cgroups: the cgroup2 directory at clone time, and every v1 hierarchy joined by the child
 * itself before it runs anything (a process moving itself is the one migration the kernel does
 * without waiting for an RCU grace period: see native/addon.cc). Close after the spawn.
 */
export function openPlacement(c: ContainerCgroups): Placement {
  const fds: number[] = [];
  const close = () => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  try {
    const cgroupFd = c.v2 ? openSync(c.v2, FS.O_RDONLY | FS.O_DIRECTORY) : undefined;
    if (cgroupFd !== undefined) fds.push(cgroupFd);
    const joinFds = c.v1.map((h) => {
      const fd = openSync(`${h.dir}/tasks`, FS.O_WRONLY);
      fds.push(fd);
      return fd;
    });
    return { ...(cgroupFd !== undefined ? { cgroupFd } : {}), joinFds, joinDirs: c.v1.map((h) => h.dir), close };
  } catch (err) {
    close();
    throw sysError('open the container cgroup for placement', c.v2 ?? c.v1[0]?.dir ?? '', err);
  }
}

/** Every process in the container's cgroup and the cgroups below it (ps, kill --all). */
export function containerPids(c: ContainerCgroups): number[] {
  const dir = c.v2 ?? c.v1.find((h) => h.key.split(',').includes('pids'))?.dir ?? c.v1[0]?.dir;
  if (!dir) return [];
  const out: number[] = [];
  const walk = (d: string) => {
    for (const p of (readCg(`${d}/cgroup.procs`) ?? '').split('\n')) if (p) out.push(Number(p));
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) if (!n.includes('.') && isDir(`${d}/${n}`)) walk(`${d}/${n}`);
  };
  walk(dir);
  return [...new Set(out)].sort((a, b) => a - b);
}

function isDir(p: string): boolean {
  return readCg(`${p}/cgroup.procs`) !== undefined;
}

function setFrozen(f: Freezer, frozen: boolean): void {
  const file = f.kind === 'v1' ? 'freezer.state' : 'cgroup.freeze';
  const value = f.kind === 'v1' ? (frozen ? 'FROZEN' : 'THAWED') : frozen ? '1' : '0';
  const done = () =>
    f.kind === 'v1'
      ? readCg(`${f.dir}/freezer.state`)?.trim() === (frozen ? 'FROZEN' : 'THAWED')
      : readKeyed(`${f.dir}/cgroup.events`).frozen === (frozen ? 1 : 0);
  // the state changes once every task has stopped (or run again); v1 may need the write again
  for (let i = 0; i < 5000; i++) {
    if (i % 50 === 0) {
      try {
        writeExisting(`${f.dir}/${file}`, value);
      } catch (err) {
        throw sysError(`${frozen ? 'freeze' : 'thaw'}: write ${value} to ${file} in cgroup`, f.dir, err);
      }
    }
    if (done()) return;
    sleepMs(1);
  }
  if (frozen) setFrozen(f, false);
  throw new OcirtError(`${frozen ? 'freeze' : 'thaw'} cgroup ${f.dir}: its processes did not all ${frozen ? 'stop' : 'resume'} within 5 s`);
}

/** pause (true) or resume (false) every process of the container. */
export function freeze(c: ContainerCgroups, frozen: boolean): void {
  const f = freezerOf(c);
  if (!f) throw new OcirtError('the container has no freezer: it runs without a cgroup of its own');
  setFrozen(f, frozen);
}

export function paused(c: ContainerCgroups): boolean {
  return isFrozen(freezerOf(c));
}

/**
 * A signal to every process of the container. SIGKILL through cgroup.kill where there is one
 * (atomic, Linux 5.14+). Otherwise, as runc: freeze, signal each, thaw, so that no process forks
 * past the signal; a container that was paused stays paused, except that a v1 freezer must let
 * SIGKILLed processes run to die.
 */
export function signalAll(recorded: ContainerCgroups, signal: number): void {
  // a directory recorded but never made (a create killed before it made them) holds no process
  const c: ContainerCgroups = {
    ...(recorded.v2 && existsSync(recorded.v2) ? { v2: recorded.v2 } : {}),
    v1: recorded.v1.filter((h) => existsSync(h.dir)),
  };
  const f = freezerOf(c);
  const wasFrozen = isFrozen(f);
  if (signal === 9 && c.v2) {
    try {
      writeExisting(`${c.v2}/cgroup.kill`, '1');
      // a task frozen by the v1 freezer (a paused container on a hybrid host) dies only once thawed
      if (wasFrozen && f?.kind === 'v1') setFrozen(f, false);
      return;
    } catch {
      // no cgroup.kill before Linux 5.14: signal them one by one
    }
  }
  if (f && !wasFrozen) setFrozen(f, true);
  try {
    for (const pid of containerPids(c)) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    }
  } finally {
    if (f && (!wasFrozen || (signal === 9 && f.kind === 'v1'))) setFrozen(f, false);
  }
}

export function oomKills(c: ContainerCgroups): number {
  return driverFor(c).oomKills(c);
}

/**
 * Removes the container's cgroups, and any it made below them. Processes still there (a killed
 * container's last ones, or leftovers that escaped its init) are killed, and the directory is
 * removed once empty.
 */
export function removeCgroups(c: ContainerCgroups): void {
  for (const dir of [...c.v1.map((h) => h.dir), ...(c.v2 ? [c.v2] : [])]) removeTree(dir, c);
}

function removeTree(dir: string, c: ContainerCgroups): void {
  let killed = false;
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = errnoName(err);
      if (code === 'ENOENT') return;
      if ((code !== 'EBUSY' && code !== 'ENOTEMPTY') || i >= 5000) throw sysError('remove cgroup', dir, err);
    }
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // gone meanwhile
    }
    for (const n of names) if (!n.includes('.') && isDir(`${dir}/${n}`)) removeTree(`${dir}/${n}`, c);
    if (!killed) {
      killed = true;
      killLeftovers(dir, c);
    }
    sleepMs(1);
  }
}

function killLeftovers(dir: string, c: ContainerCgroups): void {
  if (dir === c.v2) {
    try {
      writeExisting(`${dir}/cgroup.kill`, '1');
      return;
    } catch {
      // before Linux 5.14: one by one below
    }
  }
  for (const p of (readCg(`${dir}/cgroup.procs`) ?? '').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(p), 9);
    } catch {
      // exited meanwhile
    }
  }
  // a frozen v1 cgroup keeps its SIGKILLed processes until thawed
  if (readCg(`${dir}/freezer.state`)?.trim() !== undefined && readCg(`${dir}/freezer.state`)?.trim() !== 'THAWED') {
    try {
      writeExisting(`${dir}/freezer.state`, 'THAWED');
    } catch {
      // the rmdir loop reports
    }
  }
}
