// node:fs for the Bun executable, on the addon's syscalls (native/sys.cc). Under Bun, loading
// node:fs costs about 4.5 ms on every start (a quarter of a short command), and the addon is
// loaded anyway; scripts/build-exe.mjs points every `import ... from 'node:fs'` in src/ here.
// The Node entry keeps the real node:fs (already loaded by Node itself: free).
//
// Only what src/ imports, with node:fs's signatures and behaviour for the ways src/ calls them;
// the build fails if src/ imports a name this module lacks. test/unit/fs-addon.test.ts runs the
// same calls against both and compares results and error codes.

/** The addon's file system functions (native/sys.cc). */
export interface FsAddon {
  fsOpen(path: string, flags: number, mode: number): number;
  fsClose(fd: number): void;
  fsRead(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  fsWrite(fd: number, data: string | Uint8Array): number;
  fsReadFile(path: string, asString: boolean): string | Buffer;
  fsWriteFile(path: string, data: string | Uint8Array, flags: number, mode: number): void;
  fsStat(path: string, follow: boolean): Float64Array;
  fsAccess(path: string, mode: number): boolean;
  fsStatfsType(path: string): number;
  fsMkdir(path: string, mode: number): void;
  fsRmdir(path: string): void;
  fsUnlink(path: string): void;
  fsRename(from: string, to: string): void;
  fsReadlink(path: string): string;
  fsSymlink(target: string, path: string): void;
  fsRealpath(path: string): string;
  fsReaddir(path: string): string[];
  fsConstants: Record<string, number>;
}

import { requireEmbeddedAddon } from './embedded-addon.js';

declare const require: (id: string) => unknown;

let addon: FsAddon | undefined;
const sys = (): FsAddon => (addon ??= requireEmbeddedAddon<FsAddon>('fs-addon'));

export const constants: Record<string, number> = new Proxy({} as Record<string, number>, {
  get: (_t, k) => (typeof k === 'string' ? sys().fsConstants[k] : undefined),
});

type Encoding = 'utf8' | 'utf-8';
type ReadOptions = Encoding | { encoding?: Encoding | null; flag?: string } | undefined;
type WriteOptions = Encoding | { mode?: number; flag?: string; encoding?: Encoding } | undefined;
type Data = string | Uint8Array;

const c = (name: string): number => sys().fsConstants[name];

/** node:fs's string flags, the ones src/ passes */
function openFlags(flag: string): number {
  switch (flag) {
    case 'r':
      return c('O_RDONLY');
    case 'w':
      return c('O_WRONLY') | c('O_CREAT') | c('O_TRUNC');
    case 'wx':
    case 'xw':
      return c('O_WRONLY') | c('O_CREAT') | c('O_TRUNC') | c('O_EXCL');
    case 'a':
      return c('O_WRONLY') | c('O_CREAT') | c('O_APPEND');
    case 'ax':
    case 'xa':
      return c('O_WRONLY') | c('O_CREAT') | c('O_APPEND') | c('O_EXCL');
    default:
      throw new TypeError(`fs-addon: unsupported open flag ${JSON.stringify(flag)}`);
  }
}

export function readFileSync(path: string, options: Encoding | { encoding: Encoding; flag?: string }): string;
export function readFileSync(path: string, options?: { encoding?: null; flag?: string }): Buffer;
export function readFileSync(path: string, options?: ReadOptions): string | Buffer {
  const enc = typeof options === 'string' ? options : options?.encoding;
  return sys().fsReadFile(path, enc === 'utf8' || enc === 'utf-8');
}

function writeWith(path: string, data: Data, options: WriteOptions, defaultFlag: string): void {
  const o = typeof options === 'object' ? options : {};
  sys().fsWriteFile(path, data, openFlags(o.flag ?? defaultFlag), o.mode ?? 0o666);
}

export function writeFileSync(path: string, data: Data, options?: WriteOptions): void {
  writeWith(path, data, options, 'w');
}

export function appendFileSync(path: string, data: Data, options?: WriteOptions): void {
  writeWith(path, data, options, 'a');
}

export function existsSync(path: string): boolean {
  return sys().fsAccess(path, 0);
}

/** The part of fs.Stats that src/ reads. */
export class Stats {
  constructor(
    readonly mode: number,
    readonly uid: number,
    readonly gid: number,
    readonly size: number,
    readonly ino: number,
    readonly dev: number,
    readonly rdev: number,
    readonly nlink: number,
    readonly mtimeMs: number,
  ) {}
  private is(type: string): boolean {
    return (this.mode & c('S_IFMT')) === c(type);
  }
  isFile(): boolean {
    return this.is('S_IFREG');
  }
  isDirectory(): boolean {
    return this.is('S_IFDIR');
  }
  isSymbolicLink(): boolean {
    return this.is('S_IFLNK');
  }
  isFIFO(): boolean {
    return this.is('S_IFIFO');
  }
  isSocket(): boolean {
    return this.is('S_IFSOCK');
  }
  isCharacterDevice(): boolean {
    return this.is('S_IFCHR');
  }
  isBlockDevice(): boolean {
    return this.is('S_IFBLK');
  }
}

function stat(path: string, follow: boolean): Stats {
  const r = sys().fsStat(path, follow);
  return new Stats(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
}

export function statSync(path: string): Stats {
  return stat(path, true);
}

export function lstatSync(path: string): Stats {
  return stat(path, false);
}

/** The part of fs.StatFs that src/ reads: the file system's magic number. */
export function statfsSync(path: string): { type: number } {
  return { type: sys().fsStatfsType(path) };
}

function errCode(err: unknown): unknown {
  return err && typeof err === 'object' && 'code' in err ? (err as { code: unknown }).code : undefined;
}

/** With `recursive`, missing parents are made and an existing directory is no error. */
export function mkdirSync(path: string, options?: { recursive?: boolean; mode?: number }): string | undefined {
  const mode = options?.mode ?? 0o777;
  if (!options?.recursive) {
    sys().fsMkdir(path, mode);
    return undefined;
  }
  try {
    sys().fsMkdir(path, mode);
    return path;
  } catch (err) {
    const code = errCode(err);
    if (code === 'EEXIST' && statSync(path).isDirectory()) return undefined;
    if (code !== 'ENOENT') throw err;
  }
  const parent = path.replace(/\/+[^/]+\/*$/, '') || '/';
  if (parent === path) throw new Error(`mkdir ${path}: no parent`);
  const first = mkdirSync(parent, { recursive: true, mode });
  sys().fsMkdir(path, mode);
  return first ?? path;
}

export function rmdirSync(path: string): void {
  sys().fsRmdir(path);
}

export function unlinkSync(path: string): void {
  sys().fsUnlink(path);
}

export function renameSync(from: string, to: string): void {
  sys().fsRename(from, to);
}

export function realpathSync(path: string): string {
  return sys().fsRealpath(path);
}

export function readlinkSync(path: string): string {
  return sys().fsReadlink(path);
}

export function symlinkSync(target: string, path: string): void {
  sys().fsSymlink(target, path);
}

export function readdirSync(path: string): string[] {
  return sys().fsReaddir(path);
}

/** `rm -r` / `rm -f` as node:fs does it: never follows a symlink, -f ignores a missing path. */
export function rmSync(path: string, options?: { recursive?: boolean; force?: boolean }): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (options?.force && errCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!st.isDirectory()) {
    sys().fsUnlink(path);
    return;
  }
  if (!options?.recursive) {
    const e = new Error(`Path is a directory: rm returned EISDIR (is a directory) ${path}`) as Error & { code: string };
    e.code = 'ERR_FS_EISDIR';
    throw e;
  }
  for (const name of readdirSync(path)) rmSync(`${path}/${name}`, { recursive: true, force: options?.force });
  sys().fsRmdir(path);
}

export function openSync(path: string, flags: number | string = 'r', mode = 0o666): number {
  return sys().fsOpen(path, typeof flags === 'number' ? flags : openFlags(flags), mode);
}

export function closeSync(fd: number): void {
  sys().fsClose(fd);
}

export function readSync(
  fd: number,
  buffer: Uint8Array,
  offset = 0,
  length = buffer.byteLength - offset,
  position: number | null = null,
): number {
  return sys().fsRead(fd, buffer, offset, length, position ?? -1);
}

/** writeSync(fd, string) and writeSync(fd, buffer[, offset[, length]]): one write(2). */
export function writeSync(fd: number, data: Data, offset?: number, length?: number): number {
  if (typeof data === 'string' || (offset === undefined && length === undefined)) return sys().fsWrite(fd, data);
  const start = offset ?? 0;
  return sys().fsWrite(fd, data.subarray(start, start + (length ?? data.byteLength - start)));
}

/** Rare (light-stdio's fallback when a stream is really needed): the real node:fs. */
export function createWriteStream(...args: unknown[]): unknown {
  const real = require('node:fs') as { createWriteStream: (...a: unknown[]) => unknown };
  return real.createWriteStream(...args);
}
