// Faults of the host rather than of ocirt (issue 12 item 3): the state directory on a full
// filesystem, a truncated or garbled state.json, the bundle removed after create, too few file
// descriptors. Each is a clear error (one `ocirt: ` line, exit 1, no stack trace), nothing is lost
// (what still exists can still be managed) and nothing leaks. Root and rootless.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  IS_ROOT,
  OCIRT,
  PROBE,
  hostSnapshot,
  json,
  makeBundle,
  newId,
  runner,
  testUser,
  type Bundle,
  type Runner,
  type User,
} from '../helpers/containers.ts';
import { NOTHING, residue } from '../helpers/leaks.ts';
import { assertCleanFailure } from '../helpers/security.ts';

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : false;

/** A tmpfs of `size` with at most `inodes` inodes, owned by `user`; unmounted by the returned function. */
function smallFs(size: string, inodes: number, user?: User): { dir: string; unmount: () => void } {
  const dir = mkdtempSync('/tmp/ocirt-smallfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},nr_inodes=${inodes},mode=0755`, 'tmpfs', dir]);
  if (user) chownSync(dir, user.uid, user.gid);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills `dir`'s filesystem: every data byte (one file), and every inode too if asked. */
function fill(dir: string, inodes: boolean): void {
  const fd = openSync(join(dir, 'fill'), 'w');
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC
  } finally {
    closeSync(fd);
  }
  if (!inodes) return;
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(dir, `inode-${i}`), '');
    } catch {
      break;
    }
  }
}

function unfill(dir: string): void {
  for (const n of readdirSync(dir)) if (n === 'fill' || n.startsWith('inode-')) rmSync(join(dir, n));
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`faults of the host (${mode})`, { skip }, () => {
    let user: User | undefined;
    let b: Bundle;
    const runners: Runner[] = [];
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      b = makeBundle((c) => {
        c.process.args = ['/bin/probe', 'sleep', '600'];
        // no rlimits: with a low fd limit, raising its hard limit back needs CAP_SYS_RESOURCE
        delete c.process.rlimits;
      }, user);
    });
    after(() => {
      runners.forEach((r) => r.cleanup());
      b.cleanup();
    });
    const newRunner = () => {
      const r = runner(user);
      runners.push(r);
      return r;
    };

    for (const inodes of [false, true]) {
      test(`state directory on a full filesystem (${inodes ? 'no inode' : 'no byte'} left)`, () => {
        const fs = smallFs('256k', 64, user);
        let cleanup = () => {};
        try {
          const r = runner(user);
          const root = join(fs.dir, 'root');
          const before = hostSnapshot();
          const o = (args: string[]) => {
            const { argv, env } = r.command(args);
            const at = argv.indexOf('--root');
            argv[at + 1] = root;
            const out = join(r.root, `.out-full-${process.pid}`);
            const fd = openSync(out, 'w');
            const x = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', fd], timeout: 60_000 });
            closeSync(fd);
            const stderr = readFileSync(out, 'utf8');
            rmSync(out);
            return { status: x.status, stderr };
          };
          // a container made while there was room
          const id = newId('full');
          assert.equal(o(['create', '-b', b.dir, id]).status, 0);
          cleanup = () => {
            unfill(fs.dir);
            o(['delete', '--force', id]);
          };
          fill(fs.dir, inodes);
          // a new one: a clear error, nothing made
          const c = o(['create', '-b', b.dir, newId('full')]);
          assertCleanFailure(c, 'create on a full filesystem');
          assert.match(c.stderr, /ENOSPC/);
          assert.deepEqual(readdirSync(root).sort(), [id]);
          // the one that exists: still managed; without a free inode even the lock cannot be
          // taken, which is then the clear error
          const s = o(['start', id]);
          if (inodes) {
            assertCleanFailure(s, 'start without a free inode');
            assert.match(s.stderr, /lock .*: ENOSPC/);
            unfill(fs.dir);
          } else {
            assert.equal(s.status, 0, s.stderr);
          }
          const d = o(['delete', '--force', id]);
          assert.equal(d.status, 0, d.stderr);
          cleanup = () => {};
          assert.deepEqual(residue({ root, ids: [id], before, watched: [b.dir] }), NOTHING);
          r.cleanup();
        } finally {
          try {
            cleanup(); // when an assertion failed: what a wedged container would leave
          } finally {
            fs.unmount();
          }
        }
      });
    }

    for (const [what, damage] of [
      ['truncated', (t: string) => t.slice(0, Math.floor(t.length / 2))],
      ['garbled', (t: string) => t.replace(/[{"]/g, '\u0000')],
      ['empty', () => ''],
      ['not an object', () => '[1, 2, 3]'],
    ] as const) {
      test(`a ${what} state.json: a clear error from every command, nothing lost`, () => {
        const r = newRunner();
        const before = hostSnapshot();
        const id = newId('corrupt');
        assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
        const stateFile = join(r.root, id, 'state.json');
        const good = readFileSync(stateFile, 'utf8');
        const pid = JSON.parse(good).pid as number;
        writeFileSync(stateFile, damage(good));
        try {
          for (const args of [
            ['state', id],
            ['start', id],
            ['kill', id, 'KILL'],
            ['delete', id],
            ['delete', '--force', id],
          ]) {
            const x = r.run(args);
            assertCleanFailure(x, args.join(' '));
            assert.ok(x.stderr.includes(`state of container "${id}" is corrupt (${stateFile})`), `${args.join(' ')}: ${x.stderr}`);
          }
          // nothing lost: the init still waits, its record is where it was
          assert.ok(existsSync(`/proc/${pid}`), 'the container was killed');
          assert.ok(existsSync(stateFile));
          // list says so and lists the rest, as runc does
          const l = r.run(['list', '-q']);
          assert.equal(l.status, 0, `list: ${l.stderr}`);
          assert.equal(l.stdout, '');
          assert.ok(l.stderr.includes(`ocirt: warning: state of container "${id}" is corrupt`), `list: ${l.stderr}`);
        } finally {
          // repaired, it is managed again
          writeFileSync(stateFile, good);
          assert.equal(r.run(['delete', '--force', id]).status, 0);
        }
        assert.deepEqual(residue({ root: r.root, ids: [id], before, watched: [b.dir] }), NOTHING);
      });
    }

    test('the bundle removed after create: start says why, delete cleans up', () => {
      const r = newRunner();
      const before = hostSnapshot();
      const doomed = makeBundle((c) => (c.process.args = ['/bin/probe', 'sleep', '600']), user);
      const id = newId('nobundle');
      assert.equal(r.run(['create', '-b', doomed.dir, id]).status, 0);
      doomed.cleanup();
      try {
        const s = json(r.run(['state', id]));
        assert.equal(s.status, 'created');
        assert.equal(s.bundle, doomed.dir);
        const st = r.run(['start', id]);
        assertCleanFailure(st, 'start');
        assert.equal(st.stderr, 'ocirt: exec "/bin/probe": no such file or directory\n');
        assert.equal(json(r.run(['state', id])).status, 'stopped');
      } finally {
        assert.equal(r.run(['delete', '--force', id]).status, 0);
      }
      assert.deepEqual(residue({ root: r.root, ids: [id], before, watched: [doomed.dir] }), NOTHING);
    });

    test('too few file descriptors: a clear error or a working container, nothing left', () => {
      const r = newRunner();
      // Below these the JavaScript runtime itself does not start (Node aborts in its own
      // start-up below ~20, Bun below 5): nothing of ocirt's has run then.
      const floor = readFileSync(OCIRT).subarray(0, 4).toString('latin1') === '\x7fELF' ? 5 : 20;
      const seen = new Set<string>();
      for (let n = floor; n <= floor + 24; n += 2) {
        const before = hostSnapshot();
        const id = newId(`emfile${n}`);
        const { argv, env } = r.command(['run', '-b', b.dir, id]);
        const errFile = join(r.root, `.out-emfile-${process.pid}`);
        const fd = openSync(errFile, 'w');
        b.config.process.args = ['/bin/probe', 'exit', '0'];
        b.write();
        const x = spawnSync('prlimit', [`--nofile=${n}`, ...argv], { env, stdio: ['ignore', 'ignore', fd], timeout: 60_000 });
        closeSync(fd);
        const stderr = readFileSync(errFile, 'utf8');
        rmSync(errFile);
        if (x.status !== 0) {
          assertCleanFailure({ status: x.status, stderr }, `run with ${n} fds`);
          seen.add(stderr.split('\n').filter((l) => !l.includes('warning'))[0]);
        }
        assert.deepEqual(residue({ root: r.root, ids: [id], before, watched: [b.dir] }), NOTHING, `left behind with ${n} fds`);
      }
      b.config.process.args = ['/bin/probe', 'sleep', '600'];
      b.write();
      assert.ok(
        [...seen].some((l) => /EMFILE|Too many open files/.test(l)),
        `no limit ran out of fds: ${[...seen].join(' | ')}`,
      );
    });
  });
}
