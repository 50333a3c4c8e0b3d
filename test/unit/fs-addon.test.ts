// The executable's node:fs stand-in (src/sys/fs-addon.ts on native/sys.cc) against the real
// node:fs: the same calls, the way src/ makes them, on a scratch directory; results and error
// codes must match. The executable's integration tests (npm run test:exe) cover it in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as real from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as shim from '../../src/sys/fs-addon.js';
import { findAddon } from '../../src/native.js';
import { installEmbeddedAddon } from '../../src/sys/embedded-addon.js';

installEmbeddedAddon(() => createRequire(import.meta.url)(findAddon()));

type Fs = typeof shim;
const impls: [string, Fs][] = [
  ['node:fs', real as unknown as Fs],
  ['fs-addon', shim],
];

/** Runs fn, returning its value or the error's code, so both outcomes can be compared. */
function outcome<T>(fn: () => T): T | { code: unknown } {
  try {
    return fn();
  } catch (err) {
    return { code: (err as { code?: unknown }).code };
  }
}

function scratch(name: string): string {
  const d = real.mkdtempSync(join(tmpdir(), `ocirt-fs-${name}-`));
  return d;
}

test('reads, writes, appends and stats like node:fs', () => {
  const results = impls.map(([name, fs]) => {
    const d = scratch(name);
    try {
      fs.writeFileSync(`${d}/a`, 'héllo\n', { mode: 0o640 });
      fs.appendFileSync(`${d}/a`, 'more');
      fs.writeFileSync(`${d}/b`, new Uint8Array([0, 1, 2, 255]));
      const st = fs.statSync(`${d}/a`);
      return {
        text: fs.readFileSync(`${d}/a`, 'utf8'),
        bytes: [...fs.readFileSync(`${d}/b`)],
        size: st.size,
        perm: st.mode & 0o777,
        isFile: st.isFile(),
        isDir: fs.statSync(d).isDirectory(),
        exists: [fs.existsSync(`${d}/a`), fs.existsSync(`${d}/nope`)],
        proc: fs.readFileSync('/proc/self/stat', 'utf8').length > 0,
        missing: outcome(() => fs.readFileSync(`${d}/nope`, 'utf8')),
        dirRead: outcome(() => fs.readFileSync(d, 'utf8')),
        exclusive: outcome(() => fs.writeFileSync(`${d}/a`, 'x', { flag: 'wx' })),
        afterExclusive: fs.readFileSync(`${d}/a`, 'utf8'),
      };
    } finally {
      real.rmSync(d, { recursive: true, force: true });
    }
  });
  assert.deepEqual(results[1], results[0]);
  assert.equal(results[0].text, 'héllo\nmore');
  assert.deepEqual(results[0].missing, { code: 'ENOENT' });
});

test('directories, links, rename, rm like node:fs', () => {
  const results = impls.map(([name, fs]) => {
    const d = scratch(name);
    try {
      fs.mkdirSync(`${d}/x/y/z`, { recursive: true, mode: 0o700 });
      const again = fs.mkdirSync(`${d}/x/y/z`, { recursive: true });
      const plainAgain = outcome(() => fs.mkdirSync(`${d}/x`, { mode: 0o711 }));
      fs.writeFileSync(`${d}/x/y/z/f`, '1');
      fs.symlinkSync('y/z/f', `${d}/x/link`);
      fs.symlinkSync('/nonexistent', `${d}/dangling`);
      const out = {
        symlinkTaken: outcome(() => fs.symlinkSync('12345', `${d}/dangling`)),
        again,
        plainAgain,
        link: fs.readlinkSync(`${d}/x/link`),
        lstatLink: fs.lstatSync(`${d}/x/link`).isSymbolicLink(),
        statLink: fs.statSync(`${d}/x/link`).isFile(),
        real: fs.realpathSync(`${d}/x/link`) === real.realpathSync(`${d}/x/y/z/f`),
        danglingExists: fs.existsSync(`${d}/dangling`),
        list: fs.readdirSync(`${d}/x`).sort(),
        rmdirFull: outcome(() => fs.rmdirSync(`${d}/x/y`)),
        rename: outcome(() => fs.renameSync(`${d}/x/y/z/f`, `${d}/g`)),
        moved: fs.readFileSync(`${d}/g`, 'utf8'),
        unlinkMissing: outcome(() => fs.unlinkSync(`${d}/x/y/z/f`)),
        rmForceMissing: outcome(() => fs.rmSync(`${d}/nope`, { force: true })),
        rmMissing: outcome(() => fs.rmSync(`${d}/nope`)),
      };
      fs.rmSync(`${d}/x`, { recursive: true, force: true });
      fs.rmSync(`${d}/dangling`, { force: true });
      return { ...out, left: fs.readdirSync(d).sort() };
    } finally {
      real.rmSync(d, { recursive: true, force: true });
    }
  });
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[0].left, ['g']);
  assert.deepEqual(results[0].plainAgain, { code: 'EEXIST' });
});

test('fd calls: exclusive create, read, write, nonblocking open like node:fs', () => {
  const results = impls.map(([name, fs]) => {
    const d = scratch(name);
    try {
      const C = fs.constants;
      const fd = fs.openSync(`${d}/lock`, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600);
      const wrote = fs.writeSync(fd, String(12345));
      fs.closeSync(fd);
      const second = outcome(() => fs.openSync(`${d}/lock`, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600));
      const rfd = fs.openSync(`${d}/lock`, C.O_RDONLY | C.O_NONBLOCK);
      const buf = new Uint8Array(3);
      const n = fs.readSync(rfd, buf, 0, 3, null);
      const n2 = fs.readSync(rfd, buf, 1, 2, null);
      fs.closeSync(rfd);
      return { wrote, second, n, n2, buf: [...buf], perm: fs.statSync(`${d}/lock`).mode & 0o777 };
    } finally {
      real.rmSync(d, { recursive: true, force: true });
    }
  });
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[0].second, { code: 'EEXIST' });
});

test('statfs reports the file system type as node:fs does', () => {
  for (const p of ['/', '/proc', '/tmp', '/sys/fs/cgroup']) {
    assert.deepEqual(
      outcome(() => shim.statfsSync(p).type),
      outcome(() => real.statfsSync(p).type),
      p,
    );
  }
  assert.deepEqual(
    outcome(() => shim.statfsSync('/nonexistent/x')),
    { code: 'ENOENT' },
  );
});

test('errors carry node-style code, syscall and path', () => {
  const e = outcome(() => shim.readFileSync('/nonexistent/x', 'utf8'));
  assert.deepEqual(e, { code: 'ENOENT' });
  try {
    shim.statSync('/nonexistent/x');
    assert.fail('statSync of a missing path returned');
  } catch (err) {
    const x = err as { code: string; syscall: string; path: string; message: string };
    assert.equal(x.code, 'ENOENT');
    assert.equal(x.syscall, 'stat');
    assert.equal(x.path, '/nonexistent/x');
    assert.match(x.message, /^ENOENT: no such file or directory, stat '\/nonexistent\/x'$/);
  }
});
