// A translated profile -> the BPF program the init installs. libseccomp compiles it
// (native/seccomp.cc, which also keeps a cache of compiled programs); errors come back naming the
// config field they belong to.
import { Writer } from '../linux/encode.js';
import * as native from '../native.js';
import { ConfigError, OcirtError } from '../errors.js';
import type { SeccompProfile } from './profile.js';

export interface CompiledFilter {
  /** struct sock_filter[] */
  program: Buffer;
  /** syscall names libseccomp does not know (newer than it, or than the profile's author's kernel) */
  skipped: string[];
  /** served from the cache */
  cached: boolean;
  /** libseccomp's version, e.g. "2.5.4" */
  libseccomp: string;
}

/** The compile request native/seccomp.cc reads (format described there); also the cache key. */
export function encodeRequest(p: SeccompProfile): Buffer {
  const w = new Writer();
  w.raw(Buffer.from('OCSCMP1\0', 'latin1'));
  w.u32(p.defaultAction, 'defaultAction');
  w.list(p.arches, 'arches', (a, at) => w.str(a, at));
  w.list(p.rules, 'rules', (r, at) => {
    w.u32(r.action, `${at}.action`);
    // one string per rule (names cannot hold a comma): engines put 300+ names in a rule, and a
    // string each is a measurable part of a create
    w.str(r.names.join(','), `${at}.names`);
    w.list(r.args, `${at}.args`, (a, where) => {
      w.u32(a.index, `${where}.index`);
      w.u32(a.op, `${where}.op`);
      w.u64(a.value, `${where}.value`);
      w.u64(a.valueTwo, `${where}.valueTwo`);
    });
  });
  return w.bytes();
}

interface NativeCompileError {
  code?: string;
  message?: string;
  rule?: number;
  arch?: number;
}

/** `cacheDir`: a directory of our own for compiled programs (created 0700 when missing). */
export function compileProfile(p: SeccompProfile, cacheDir?: string): CompiledFilter {
  try {
    const r = native.seccompCompile(encodeRequest(p), cacheDir);
    return { program: r.program, skipped: r.skipped, cached: r.cached, libseccomp: r.version };
  } catch (err) {
    const e = err as NativeCompileError;
    const msg = e.message ?? String(err);
    switch (e.code) {
      case 'ENOLIBSECCOMP':
        throw new OcirtError(
          `config.json: /linux/seccomp: the config asks for a seccomp filter, but ${msg}: install libseccomp (Debian: apt-get install libseccomp2), or remove linux.seccomp to run the container without one`,
        );
      case 'EARCH':
        throw new ConfigError(`/linux/seccomp/architectures/${e.arch ?? 0}`, msg);
      case 'ERULE':
        throw new ConfigError(`${p.rules[e.rule ?? 0]?.field ?? '/linux/seccomp/syscalls'}`, msg);
      case 'EDEFAULTACTION':
        throw new ConfigError('/linux/seccomp/defaultAction', msg);
      default:
        throw new OcirtError(`compile the seccomp filter of /linux/seccomp: ${msg}`, { cause: err });
    }
  }
}
