// The executable loads no code from /tmp (issue 12 item 1). Every case runs the whole lifecycle
// in a private mount namespace whose /tmp is hostile: mounted noexec, full, read-only, or holding
// a planted shared object under the names Bun would extract the addon to. Nothing may change:
// the commands work, nothing is written to /tmp, the planted code never runs, and the running
// runtime maps its addon from the file installed beside it, or from a sealed memfd without one. A failure to load the addon is one line, never a stack
// trace. Only for the executable build (OCIRT_BIN=dist/ocirt-exe, `npm run test:exe`); root and
// rootless.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IS_ROOT, OCIRT, PROBE, REPO, makeBundle, newId, testUser, type Bundle, type User } from '../helpers/containers.ts';

const isElf = (p: string) => existsSync(p) && readFileSync(p).subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'));
const skip = !IS_ROOT
  ? 'needs root (private mount namespaces)'
  : !isElf(OCIRT)
    ? 'only for the executable build (OCIRT_BIN=dist/ocirt-exe: npm run test:exe)'
    : !existsSync(PROBE)
      ? 'probe not built'
      : false;

/** A JavaScript stack trace or a runtime crash report, as Bun prints them. */
const STACK = /^\s+at |^\s*\^$|^error: |panic\(|oh no: Bun/m;

interface Outcome {
  rc: number;
  out: string;
  err: string;
}

/**
 * Runs `steps` (name -> shell command line) in one private mount namespace after `setup`, each
 * with its stdout, stderr and exit status captured in `work`; returns them, plus /tmp's listing
 * before and after the steps and whatever `extra` lines wrote to `work`.
 */
function inNamespace(
  work: string,
  setup: string,
  steps: [string, string][],
  extra = '',
): Map<string, Outcome> & { tmpBefore: string; tmpAfter: string } {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    'set -u',
    setup,
    `ls -A /tmp > ${q(join(work, 'tmp-before'))}`,
    ...steps.map(
      ([name, cmd]) =>
        `${cmd} </dev/null >${q(join(work, `${name}.out`))} 2>${q(join(work, `${name}.err`))}; echo $? >${q(join(work, `${name}.rc`))}`,
    ),
    extra,
    `ls -A /tmp > ${q(join(work, 'tmp-after'))}`,
  ].join('\n');
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.TMPDIR;
  delete env.BUN_TMPDIR;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', env, timeout: 180_000 });
  assert.equal(r.status, 0, `namespace script failed: ${r.stderr}`);
  const read = (f: string) => (existsSync(join(work, f)) ? readFileSync(join(work, f), 'utf8') : '');
  const res = new Map<string, Outcome>() as Map<string, Outcome> & { tmpBefore: string; tmpAfter: string };
  for (const [name] of steps) res.set(name, { rc: Number(read(`${name}.rc`).trim()), out: read(`${name}.out`), err: read(`${name}.err`) });
  res.tmpBefore = read('tmp-before');
  res.tmpAfter = read('tmp-after');
  return res;
}

/** A shared object whose constructor creates `marker`: what an attacker would plant for dlopen. */
function buildPlantedObject(dir: string, marker: string): string | undefined {
  const src = join(dir, 'planted.c');
  writeFileSync(
    src,
    `#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void planted(void) { int fd = open("${marker}", O_WRONLY | O_CREAT, 0644); if (fd >= 0) close(fd); }\n`,
  );
  const so = join(dir, 'planted.so');
  const r = spawnSync('cc', ['-shared', '-fPIC', '-o', so, src], { encoding: 'utf8' });
  return r.status === 0 ? so : undefined;
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`executable with a hostile /tmp (${mode})`, { skip }, () => {
    let user: User | undefined;
    let work: string;
    let bundle: Bundle;
    let stateRoot: string;
    let prefix: string;
    let uid: number;

    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      uid = user?.uid ?? 0;
      // outside /tmp: every case covers it
      mkdirSync(join(REPO, 'build'), { recursive: true });
      work = mkdtempSync(join(REPO, 'build', 'exe-addon-'));
      bundle = makeBundle((c) => (c.process.args = ['/bin/probe', 'exit', '3']), user, work);
      stateRoot = join(work, 'root');
      mkdirSync(stateRoot);
      if (user) {
        chownSync(work, user.uid, user.gid);
        chownSync(stateRoot, user.uid, user.gid);
      }
      prefix = user ? `setpriv --reuid=${user.uid} --regid=${user.gid} --init-groups --inh-caps=-all --bounding-set=-all ` : '';
    });
    after(() => {
      spawnSync(OCIRT, ['--root', stateRoot, 'list', '-q'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .forEach((id) => spawnSync(OCIRT, ['--root', stateRoot, 'delete', '-f', id]));
      rmSync(work, { recursive: true, force: true });
    });

    /** The lifecycle, each command on its own: it must behave exactly as with a normal /tmp. */
    function lifecycle(tag: string): [string, string][] {
      const o = `${prefix}${OCIRT} --root ${stateRoot}`;
      const id = newId(`tmp-${tag}`);
      return [
        ['list', `${o} list`],
        ['version', `${o} --version`],
        ['missing', `${o} state no-such-container`],
        ['run', `${o} run -b ${bundle.dir} ${id}-run`],
        ['create', `${o} create -b ${bundle.dir} ${id}`],
        ['state', `${o} state ${id}`],
        ['start', `${o} start ${id}`],
        ['delete', `${o} delete -f ${id}`],
      ];
    }

    function checkLifecycle(res: Map<string, Outcome>): void {
      for (const [name, o] of res) assert.doesNotMatch(o.err, STACK, `${name}: ${o.err}`);
      const ok = (name: string) => assert.equal(res.get(name)!.rc, 0, `${name}: ${res.get(name)!.err}`);
      ok('list');
      ok('version');
      assert.match(res.get('version')!.out, /^ocirt version /);
      assert.equal(res.get('missing')!.rc, 1);
      assert.equal(res.get('missing')!.err, 'ocirt: container "no-such-container" does not exist\n');
      assert.equal(res.get('run')!.rc, 3, `run: ${res.get('run')!.err}`);
      ok('create');
      ok('state');
      assert.equal(JSON.parse(res.get('state')!.out).status, 'created');
      ok('start');
      ok('delete');
    }

    for (const [tag, setup] of [
      ['noexec', 'mount -t tmpfs -o noexec,nosuid,nodev tmpfs /tmp'],
      ['full', 'mount -t tmpfs -o size=64k tmpfs /tmp && (cat /dev/zero > /tmp/fill 2>/dev/null; true)'],
      ['read-only', 'mount -t tmpfs -o ro tmpfs /tmp'],
    ] as const) {
      test(`/tmp ${tag}: every command works and /tmp is untouched`, () => {
        const res = inNamespace(work, setup, lifecycle(tag));
        checkLifecycle(res);
        assert.equal(res.tmpAfter, res.tmpBefore, '/tmp changed');
      });
    }

    test('a shared object planted in /tmp is never loaded', (t) => {
      const marker = join(work, `planted-ran-${mode}`);
      const so = buildPlantedObject(work, marker);
      if (!so) return t.skip('no C compiler to build the planted object');
      // The files a Bun extraction would use, with their sizes: whatever the executable writes
      // to an empty, writable /tmp (nothing, with the addon in a memfd), and Bun's pattern for
      // this uid. Bun reused such a file when its owner, mode and size were what it expected.
      const found = join(work, `found-${mode}`);
      inNamespace(
        work,
        'mount -t tmpfs tmpfs /tmp && chmod 1777 /tmp',
        [['list', `${prefix}${OCIRT} --root ${stateRoot} list`]],
        `for f in /tmp/.??*; do [ -f "$f" ] && echo "\${f#/tmp/} $(stat -c %s "$f")"; done > ${found}`,
      );
      const files = new Map(
        readFileSync(found, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ') as [string, string]),
      );
      files.set(`.bun-${uid}-0000000000000000.node`, '600000');
      const plant = [...files]
        .map(([n, size]) => `cp ${so} /tmp/${n} && truncate -s ${size} /tmp/${n} && chown ${uid} /tmp/${n} && chmod 0600 /tmp/${n}`)
        .join(' && ');
      const res = inNamespace(work, `mount -t tmpfs tmpfs /tmp && chmod 1777 /tmp && ${plant}`, lifecycle('planted'));
      assert.equal(existsSync(marker), false, `the planted object ran (planted: ${[...files.keys()].join(', ')})`);
      checkLifecycle(res);
      assert.equal(res.tmpAfter, res.tmpBefore, '/tmp changed');
    });

    // Installed, the addon is the content-named file beside the executable (scripts/build-exe.mjs);
    // without that file, a sealed memfd. Never anything in /tmp.
    for (const variant of ['installed', 'memfd'] as const) {
      test(`the running executable maps its addon from ${variant === 'installed' ? 'the file beside it' : 'a sealed memfd when that file is absent'}`, () => {
        let exe = OCIRT;
        if (variant === 'memfd') {
          // a copy of the executable without the addon file beside it
          const bin = join(work, `bin-${mode}`);
          mkdirSync(bin, { recursive: true });
          for (const f of ['ocirt-exe', 'ocirt-core']) copyFileSync(join(dirname(OCIRT), f), join(bin, f));
          for (const f of ['ocirt-exe', 'ocirt-core']) chmodSync(join(bin, f), 0o755);
          exe = join(bin, 'ocirt-exe');
        }
        const id = newId('maps');
        const sleeper = makeBundle((c) => (c.process.args = ['/bin/probe', 'sleep', '60']), user, work);
        const o = `${prefix}${exe} --root ${stateRoot}`;
        const maps = join(work, `maps-${mode}-${variant}`);
        // the foreground `run` stays alive while its container sleeps: read its mappings then
        const extra = [
          `${o} run -b ${sleeper.dir} ${id} </dev/null >/dev/null 2>&1 &`,
          'pid=$!',
          'i=0; while [ $i -lt 600 ] && ! grep -q ocirt-addon /proc/$pid/maps 2>/dev/null; do sleep 0.1; i=$((i+1)); done',
          `cat /proc/$pid/maps > ${maps}`,
          `${o} kill ${id} KILL; wait $pid`,
        ].join('\n');
        inNamespace(work, 'mount -t tmpfs -o noexec tmpfs /tmp', [], extra);
        const text = readFileSync(maps, 'utf8');
        if (variant === 'memfd') assert.match(text, /\/memfd:ocirt-addon \(deleted\)/);
        else {
          const beside = `${dirname(OCIRT)}/ocirt-addon-`;
          assert.ok(
            text.split('\n').some((l) => l.includes(beside) && /ocirt-addon-[0-9a-f]+\.node$/.test(l)),
            text,
          );
          assert.doesNotMatch(text, /memfd:ocirt-addon/);
        }
        const files = text
          .split('\n')
          .map((l) => l.split(/\s+/).slice(5).join(' '))
          .filter((f) => f.startsWith('/tmp/') || f.includes('.bun-'));
        assert.deepEqual(files, []);
      });
    }

    test('a failure to load the addon is one line and exit status 1', () => {
      // With very few fds the runtime starts but the memfd cannot be made: find such a limit and
      // check that no limit ever produces a stack trace.
      const seen: string[] = [];
      for (let n = 3; n <= 16; n++) {
        const r = spawnSync('sh', ['-c', `${prefix}prlimit --nofile=${n} ${OCIRT} --root ${stateRoot} list`], { encoding: 'utf8' });
        assert.doesNotMatch(r.stderr, /^\s+at |^\s*\^$/m, `nofile=${n}: ${r.stderr}`);
        if (/cannot load the native addon/.test(r.stderr)) {
          assert.equal(r.status, 1);
          // memfd_create or the dlopen runs out of fds first, depending on the limit
          assert.match(r.stderr, /^ocirt: cannot load the native addon: [^\n]*(EMFILE|Too many open files)[^\n]*\n$/);
          seen.push(r.stderr);
        }
      }
      assert.ok(seen.length > 0, 'no fd limit made the addon load fail');
    });
  });
}
