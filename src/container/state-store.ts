// The on-disk state of containers under --root: <root>/<id>/state.json (written atomically) and
// <root>/<id>/exec.fifo while the container is "created". One lock file per id serializes
// commands on the same container; commands on different ids never wait for each other.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, ContainerError, OcirtError, errnoName, sysError } from '../errors.js';
import { sleepMs } from '../sleep.js';
import { faultPoint } from './fault.js';
import type { Hooks, Spec } from '../spec/types.js';

/** What create records; the status is never stored as truth but derived (status.ts). */
export interface StoredState {
  ociVersion: string;
  id: string;
  /** host pid of the container's init */
  pid: number;
  /** start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22): guards against pid reuse */
  pidStartTime: number;
  bundle: string;
  rootfs: string;
  annotations?: Record<string, string>;
  /** RFC 3339 */
  created: string;
  owner: string;
  /** the container's cgroup2 directory (a pure v2 host's, or the unified one of a hybrid host) */
  cgroupPath?: string;
  /** its cgroup v1 directories, one per hierarchy (v1 and hybrid hosts) */
  cgroupV1Paths?: string[];
  /** the hierarchies of cgroupV1Paths, in the same order: "memory", "cpu,cpuacct", "name=systemd" */
  cgroupV1Controllers?: string[];
  /** the config uses a user namespace (kill/delete need no privileges beyond the owner's) */
  rootless: boolean;
  /** resctrl group directories ocirt made for linux.intelRdt, removed by delete (in this order) */
  resctrlDirs?: string[];
  /**
   * create recorded the init (pid, pidStartTime) but has not finished: status "creating" while
   * that process lives, "stopped" once it is gone (a create killed halfway; delete removes it)
   */
  creating?: boolean;
}

/**
 * What create decided that later commands build on (container.json beside state.json): the
 * validated config as it was at create, so that `exec` does not depend on the bundle staying
 * unchanged (runc keeps its own copy of the config in its state too), and the create options
 * that concern every process of the container.
 */
export interface ContainerRecord {
  config: Spec;
  /** create's --no-new-keyring: an exec'd process does not get a session keyring of its own either */
  noNewKeyring: boolean;
  /** exact values of config.json's integers above 2^53 (seccomp arguments), decimal, by JSON pointer */
  exactIntegers?: Record<string, string>;
}

/** The record's form of loadBundle's exact integers (JSON has no bigint). */
export function recordedIntegers(exact: ReadonlyMap<string, bigint>): Pick<ContainerRecord, 'exactIntegers'> {
  return exact.size ? { exactIntegers: Object.fromEntries([...exact].map(([k, v]) => [k, v.toString()])) } : {};
}

export function integersOf(record: ContainerRecord): ReadonlyMap<string, bigint> | undefined {
  return record.exactIntegers ? new Map(Object.entries(record.exactIntegers).map(([k, v]) => [k, BigInt(v)])) : undefined;
}

const ID_PATTERN = /^[\w+.-]+$/;
const LOCK_PREFIX = '.lock-';
/**
 * The id names the state directory and, with LOCK_PREFIX, the lock file beside it: both must fit
 * the 255 bytes a file name may have (the id is ASCII).
 */
export const MAX_ID_LENGTH = 255 - LOCK_PREFIX.length;

/** Every command checks the id before it touches a path made from it. */
export function validateId(id: unknown): string {
  if (typeof id !== 'string' || id === '' || !ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new ArgumentError(
      `invalid container id ${JSON.stringify(id)}: use letters, digits, "_", "+", "-" and "." only (no path separators)`,
    );
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new ArgumentError(
      `container id is too long (${id.length} characters): at most ${MAX_ID_LENGTH}, so that the state directory and lock file named after it fit in a file name`,
    );
  }
  return id;
}

export class StateStore {
  constructor(readonly root: string) {
    if (!root) {
      throw new ArgumentError(
        'no state root: XDG_RUNTIME_DIR is not set; pass --root DIR (a directory you own, e.g. /tmp/ocirt-$(id -u)) or set XDG_RUNTIME_DIR',
      );
    }
  }

  dir(id: string): string {
    return join(this.root, id);
  }
  statePath(id: string): string {
    return join(this.root, id, 'state.json');
  }
  fifoPath(id: string): string {
    return join(this.root, id, 'exec.fifo');
  }
  /**
   * Present when the container's config has hooks (the record holds them): the native front end
   * (native/front/) leaves start and delete, which run them, to the TypeScript code then.
   */
  hooksMarkerPath(id: string): string {
    return join(this.root, id, 'hooks');
  }
  recordPath(id: string): string {
    return join(this.root, id, 'container.json');
  }
  templatePath(id: string): string {
    return join(this.root, id, 'exec-template');
  }
  /** compiled seccomp programs (native/seccomp.cc keeps it; a dot name is never a container) */
  seccompCacheDir(): string {
    return join(this.root, '.seccomp-cache');
  }
  /** linux.resources as last applied by `update` (before one: the record's config has them) */
  resourcesPath(id: string): string {
    return join(this.root, id, 'resources.json');
  }

  ensureRoot(): void {
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw sysError('create state root', this.root, err);
    }
  }

  exists(id: string): boolean {
    return existsSync(this.dir(id));
  }

  /**
   * A state directory without state.json: what a create or delete killed halfway leaves (create
   * makes the directory before it writes state.json, delete removes state.json last). Only
   * meaningful while holding the id's lock, which such a command held.
   */
  isDebris(id: string): boolean {
    return existsSync(this.dir(id)) && !existsSync(this.statePath(id));
  }

  /** Create the container's directory; fails if the id is taken. */
  createDir(id: string): string {
    const d = this.dir(id);
    try {
      mkdirSync(d, { mode: 0o711 });
    } catch (err) {
      if (errnoName(err) === 'EEXIST') throw new ContainerError('exists', id, `container "${id}" already exists`);
      throw sysError('create state directory', d, err);
    }
    return d;
  }

  read(id: string): StoredState {
    let text: string;
    try {
      text = readFileSync(this.statePath(id), 'utf8');
    } catch (err) {
      if (errnoName(err) === 'ENOENT') throw new ContainerError('not-found', id, `container "${id}" does not exist`);
      throw sysError('read state', this.statePath(id), err);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new OcirtError(`state of container "${id}" is corrupt (${this.statePath(id)}): ${(err as Error).message}`);
    }
    const wrong = shapeError(value);
    if (wrong) throw new OcirtError(`state of container "${id}" is corrupt (${this.statePath(id)}): ${wrong}`);
    return value as StoredState;
  }

  /** write-then-rename, so a reader never sees half a file */
  write(state: StoredState): void {
    writeAtomic(this.statePath(state.id), JSON.stringify(state));
  }

  markHooks(id: string): void {
    writeAtomic(this.hooksMarkerPath(id), '', 0o600);
  }

  /**
   * The container's hooks as its config had them at create (runtime-spec: later changes to
   * config.json must not affect the container); undefined when it has none.
   */
  readHooks(id: string): Hooks | undefined {
    if (!existsSync(this.hooksMarkerPath(id))) return undefined;
    return this.readRecord(id)?.config.hooks;
  }

  writeRecord(id: string, record: ContainerRecord): void {
    writeAtomic(this.recordPath(id), JSON.stringify(record), 0o600);
  }

  /** The record create wrote, or undefined for a container made before records existed. */
  readRecord(id: string): ContainerRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.recordPath(id), 'utf8');
    } catch (err) {
      if (errnoName(err) === 'ENOENT') return undefined;
      throw sysError('read', this.recordPath(id), err);
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch (err) {
      throw new OcirtError(`record of container "${id}" is corrupt (${this.recordPath(id)}): ${(err as Error).message}`);
    }
  }

  /** Everything else first, state.json last: a delete killed halfway leaves a record to finish from. */
  remove(id: string): void {
    const dir = this.dir(id);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if (errnoName(err) === 'ENOENT') return;
      throw sysError('remove state directory', dir, err);
    }
    for (const n of names) if (n !== 'state.json') rmSync(join(dir, n), { recursive: true, force: true });
    faultPoint('delete:emptied');
    rmSync(join(dir, 'state.json'), { force: true });
    rmSync(dir, { recursive: true, force: true });
  }

  list(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch (err) {
      if (errnoName(err) === 'ENOENT') return [];
      throw sysError('list', this.root, err);
    }
    return names.filter((n) => !n.startsWith('.') && existsSync(join(this.root, n, 'state.json'))).sort();
  }

  lockExists(id: string): boolean {
    // the symlink itself (existsSync would follow it to its target, a pid)
    try {
      lstatSync(this.lockPath(id));
      return true;
    } catch {
      return false;
    }
  }

  private lockPath(id: string): string {
    return join(this.root, `${LOCK_PREFIX}${id}`);
  }

  /**
   * Exclusive lock on one id: a symlink <root>/.lock-<id> whose target is the holder's pid, made
   * atomically (EEXIST while held). A symlink needs an inode but no data block: with the state
   * filesystem full, containers can still be started, killed and deleted (a lock file with the pid
   * written into it could not be, and the empty file left behind wedged the container). A lock
   * whose holder is gone is taken over, so a crashed command never wedges a container.
   * (native/front/front.c takes the same lock.)
   */
  lock(id: string): () => void {
    const p = this.lockPath(id);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        symlinkSync(String(process.pid), p);
        return () => {
          try {
            unlinkSync(p);
          } catch {
            // already gone: nothing to release
          }
        };
      } catch (err) {
        if (errnoName(err) !== 'EEXIST') throw sysError('lock', p, err);
      }
      const holder = lockHolder(p);
      if (holder === undefined) continue; // released meanwhile
      if (holder.stale) {
        try {
          unlinkSync(p);
        } catch {
          // another waiter took it over first
        }
        continue;
      }
      if (Date.now() > deadline) throw new ContainerError('locked', id, `container "${id}" is locked by process ${holder.pid} (${p})`);
      sleepMs(2);
    }
  }
}

/** What is wrong with a parsed state.json (the fields every command relies on), or undefined. */
function shapeError(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  for (const k of ['ociVersion', 'id', 'bundle', 'rootfs', 'created', 'owner']) if (typeof o[k] !== 'string') return `${k}: not a string`;
  for (const k of ['pid', 'pidStartTime'])
    if (!Number.isSafeInteger(o[k]) || (o[k] as number) < 0) return `${k}: not a non-negative integer`;
  if (typeof o.rootless !== 'boolean') return 'rootless: not a boolean';
  if (o.cgroupPath !== undefined && typeof o.cgroupPath !== 'string') return 'cgroupPath: not a string';
  for (const k of ['cgroupV1Paths', 'cgroupV1Controllers']) {
    const l = o[k];
    if (l !== undefined && !(Array.isArray(l) && l.every((p) => typeof p === 'string'))) return `${k}: not a list of strings`;
  }
  return undefined;
}

export function writeAtomic(path: string, content: string | Buffer, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content, { mode });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw sysError('write', path, err);
  }
}

/**
 * Who holds a lock, and whether it may be taken over: its holder is gone, or (a regular file from
 * an older ocirt, which wrote the pid into it) it names nobody and is older than any create of it
 * could be still writing. undefined if the lock is gone.
 */
function lockHolder(p: string): { pid: number; stale: boolean } | undefined {
  let st: ReturnType<typeof lstatSync>;
  let text: string;
  try {
    st = lstatSync(p);
    text = st.isSymbolicLink() ? readlinkSync(p) : readFileSync(p, 'utf8');
  } catch (err) {
    if (errnoName(err) === 'ENOENT') return undefined;
    throw sysError('lock', p, err);
  }
  const pid = Number(text);
  if (Number.isSafeInteger(pid) && pid > 0) return { pid, stale: !isAlive(pid) };
  return { pid: 0, stale: Date.now() - st.mtimeMs > 5_000 };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoName(err) === 'EPERM';
  }
}
