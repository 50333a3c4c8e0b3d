// Builds the small static C programs: the container init stub (binding.gyp runs this) and the
// executable's native front end (scripts/build-front.mjs).
//
//   node scripts/static-cc.mjs <out> <source.c>... [-I dir]...   or   buildStatic({ out, sources })
//
// musl (`musl-gcc`, Debian's musl-tools) when it is installed, glibc's `cc -static` otherwise. The
// difference is size, and size is time: the stub is copied into a sealed memfd on every create and
// is part of the addon that Bun extracts on every start of the executable. With glibc the stub is
// ~700 kB, with musl ~55 kB. musl-gcc's include path has no kernel headers, so a directory of
// symlinks to the host's linux/, asm/ and asm-generic/ is put on it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const FLAGS = ['-static', '-s', '-Os', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-fno-asynchronous-unwind-tables'];

function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, cmd))) return true;
  }
  return false;
}

function kernelHeaders(workDir) {
  const dir = join(workDir, 'musl-kernel-headers');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const arch = `/usr/include/${execFileSync('gcc', ['-dumpmachine']).toString().trim()}/asm`;
  for (const [name, target] of [
    ['linux', '/usr/include/linux'],
    ['asm-generic', '/usr/include/asm-generic'],
    ['asm', existsSync(arch) ? arch : '/usr/include/asm'],
  ]) {
    symlinkSync(target, join(dir, name));
  }
  return dir;
}

/**
 * Compiles `sources` into the static, stripped executable `out`; `flags` come after the defaults
 * (a later -std wins). `work` holds the kernel-header links (default: beside `out`). Returns the
 * compiler used.
 */
export function buildStatic({
  out,
  sources,
  includes = [],
  flags = [],
  work,
  musl = process.env.OCIRT_NO_MUSL ? false : onPath('musl-gcc'),
}) {
  const outAbs = resolve(out);
  mkdirSync(dirname(outAbs), { recursive: true });
  const inc = includes.flatMap((d) => ['-I', d]);
  const cc = musl ? 'musl-gcc' : (process.env.CC ?? 'cc');
  const sys = musl ? ['-isystem', kernelHeaders(work ?? dirname(outAbs))] : [];
  execFileSync(cc, [...sys, ...inc, ...FLAGS, ...flags, '-o', outAbs, ...sources], { stdio: ['ignore', 'inherit', 'inherit'] });
  return cc;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, ...rest] = process.argv.slice(2);
  const sources = [];
  const includes = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '-I') includes.push(rest[++i]);
    else sources.push(rest[i]);
  }
  if (!out || sources.length === 0) {
    console.error('usage: static-cc.mjs <out> <source.c>... [-I dir]...');
    process.exit(2);
  }
  buildStatic({ out, sources, includes });
}
