// The executable's addon, loaded from a sealed memfd (src/cli/exe-entry.ts calls this once, before
// anything else). Bun's own way, a `require()` of an embedded .node file, writes the file to $TMPDIR
// (/tmp/.bun-<uid>-<hash>.node) and dlopens it from there: with /tmp mounted noexec that fails, a
// full or read-only /tmp fails, and code is loaded from a world-writable directory. Here the bytes
// travel as a plain asset of the executable (scripts/build-exe.mjs embeds build/Release/ocirt.node
// as ocirt-addon.bin), are copied into an anonymous memfd sealed against any change, and that is
// dlopen'd through /proc/self/fd: nothing is written anywhere, nobody else can reach the file.
//
// memfd_create, write and fcntl come from libc through bun:ffi: the addon that wraps every other
// syscall is what is being loaded. Bun only; the Node entry loads build/Release/ocirt.node.

/** bun:ffi, as far as it is used here. */
interface Ffi {
  dlopen<S extends Record<string, { args: string[]; returns: string }>>(
    lib: string,
    symbols: S,
  ): { symbols: Record<keyof S, (...args: unknown[]) => number | bigint | string> };
  read: { i32(ptr: number, offset?: number): number };
}

interface EmbeddedFile {
  readonly name: string;
  bytes(): Promise<Uint8Array>;
}

declare const Bun: { embeddedFiles: readonly EmbeddedFile[] };
declare const require: (id: string) => unknown;

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
// F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE: the bytes can never change again
const SEALS = 0x1 | 0x2 | 0x4 | 0x8;

/** The asset's name as Bun reports it: ocirt-addon.bin, or with a content hash ocirt-addon-<hash>.bin. */
export const ADDON_ASSET = /^ocirt-addon(-[a-z0-9]+)?\.bin$/;

export class AddonLoadError extends Error {}

/** Set by scripts/build-exe.mjs: the addon's file name beside the executable (content-addressed). */
declare const OCIRT_ADDON_BESIDE: string | undefined;

/**
 * The addon installed beside the executable by the build (dist/ocirt-addon-<hash>.node), if it is
 * there: as trusted as the executable itself (whoever can write that directory can replace the
 * executable), never in /tmp, and cheaper to load than the memfd copy. Undefined when absent.
 */
function besideAddon(): unknown {
  if (typeof OCIRT_ADDON_BESIDE !== 'string') return undefined;
  const exe = process.execPath;
  const mod: { exports: unknown } = { exports: {} };
  try {
    process.dlopen(mod, `${exe.slice(0, exe.lastIndexOf('/'))}/${OCIRT_ADDON_BESIDE}`);
  } catch {
    return undefined;
  }
  return mod.exports;
}

/**
 * The addon's exports: the file installed beside the executable, else dlopen'd from a sealed
 * memfd. Throws AddonLoadError saying why not.
 */
export async function loadSealedAddon(): Promise<unknown> {
  const installed = besideAddon();
  if (installed !== undefined) return installed;
  const file = Bun.embeddedFiles.find((f) => ADDON_ASSET.test(f.name));
  if (!file) throw new AddonLoadError('it is not embedded in this executable (build it with `npm run build:exe`)');
  const pending = file.bytes();
  const libc = openLibc();
  const fd = libc.check(libc.fn.memfd_create(Buffer.from('ocirt-addon\0'), MFD_CLOEXEC | MFD_ALLOW_SEALING), 'memfd_create(ocirt-addon)');
  const bytes = await pending;
  for (let off = 0; off < bytes.length; ) off += libc.check(libc.fn.write(fd, bytes.subarray(off), bytes.length - off), 'write(memfd)');
  libc.check(libc.fn.fcntl(fd, F_ADD_SEALS, SEALS), 'fcntl(F_ADD_SEALS)');
  const mod: { exports: unknown } = { exports: {} };
  const path = `/proc/self/fd/${fd}`;
  try {
    process.dlopen(mod, path);
  } catch (err) {
    // the process exits on this error: the fd goes with it
    const why = err instanceof Error ? err.message : String(err);
    throw new AddonLoadError(`dlopen ${path}: ${why}${why.includes('No such file') ? ' (is /proc mounted?)' : ''}`);
  }
  // the mapping keeps the code; the fd is of no further use
  (mod.exports as { closeFd(fd: number): void }).closeFd(fd);
  return mod.exports;
}

interface Libc {
  fn: {
    memfd_create(name: Buffer, flags: number): number;
    write(fd: number, buf: Uint8Array, len: number): number | bigint;
    fcntl(fd: number, cmd: number, arg: number): number;
  };
  /** the result as a number, or AddonLoadError("<what>: ENAME (text)") for a negative one */
  check(result: number | bigint, what: string): number;
}

// Only what the successful load calls is bound up front: bun:ffi compiles a trampoline for each
// symbol at run time. errno is read at once after a failure (anything else may change it), the
// text for it is bound then.
function openLibc(): Libc {
  let ffi: Ffi;
  try {
    ffi = require('bun:ffi') as Ffi;
  } catch (err) {
    throw new AddonLoadError(`bun:ffi is not available: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { symbols } = ffi.dlopen('libc.so.6', {
    memfd_create: { args: ['ptr', 'u32'], returns: 'i32' },
    write: { args: ['i32', 'ptr', 'u64'], returns: 'i64' },
    fcntl: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
    __errno_location: { args: [], returns: 'ptr' },
  });
  return {
    fn: symbols as unknown as Libc['fn'],
    check(result, what) {
      const n = Number(result);
      if (n >= 0) return n;
      const errno = ffi.read.i32(Number(symbols.__errno_location()));
      const text = ffi.dlopen('libc.so.6', { strerror: { args: ['i32'], returns: 'cstring' } }).symbols.strerror(errno);
      throw new AddonLoadError(`${what}: ${errnoName(errno)} (${String(text)})`);
    },
  };
}

function errnoName(errno: number): string {
  const table = (require('node:os') as typeof import('node:os')).constants.errno as Record<string, number>;
  return Object.keys(table).find((k) => table[k] === errno) ?? `errno ${errno}`;
}
