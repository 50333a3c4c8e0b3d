// The fds a container's process gets, for create and run (exec: exec.test.ts): stdio, the fds of
// systemd socket activation (LISTEN_FDS, with LISTEN_FDS/LISTEN_PID set as runc sets them) and
// --preserve-fds N, as fds 3 and up, and nothing else of what the runtime was started with.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IS_ROOT,
  PROBE,
  makeBundle,
  newId,
  runner,
  stateDirs,
  testUser,
  type Bundle,
  type Runner,
  type User,
} from '../helpers/containers.ts';

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : false;

interface Report {
  env: string[];
  fds: { fd: number; target: string }[];
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`fds, ${mode}`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    let devnull: number;
    let dir: number;
    // fds 3..7 of the runtime: /dev/null at 3 and 4, a directory at 5, 6 and 7, as an engine leaks them
    let leaked: number[];

    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
      b = makeBundle((c) => (c.process.args = ['/bin/probe', 'report']), user);
      devnull = openSync('/dev/null', 'r');
      dir = openSync(b.dir, 'r');
      leaked = [devnull, devnull, dir, dir, dir];
    });
    after(() => {
      closeSync(devnull);
      closeSync(dir);
      r.cleanup();
      b.cleanup();
    });

    const fdsOf = (rep: Report) => rep.fds.map((f) => f.fd);

    test('run: stdio only, or exactly the preserved fds', () => {
      const plain = r.run(['run', '-b', b.dir, newId('fds')], { extraFds: leaked });
      assert.equal(plain.status, 0, plain.stderr);
      assert.deepEqual(fdsOf(JSON.parse(plain.stdout) as Report), [0, 1, 2]);
      const kept = r.run(['run', '--preserve-fds', '2', '-b', b.dir, newId('fds')], { extraFds: leaked });
      assert.equal(kept.status, 0, kept.stderr);
      const rep = JSON.parse(kept.stdout) as Report;
      assert.deepEqual(fdsOf(rep), [0, 1, 2, 3, 4]);
      assert.deepEqual(
        rep.fds.slice(3).map((f) => f.target),
        ['/dev/null', '/dev/null'],
      );
    });

    test('create + start: the same, kept while the init waits', () => {
      const id = newId('fds-create');
      const out = join(b.dir, `${id}.out`);
      const fd = openSync(out, 'w');
      const err = openSync(`${out}.err`, 'w');
      try {
        // the container keeps the stdio create gives it: files (a pipe would keep spawnSync waiting)
        const { argv, env } = r.command(['create', '--preserve-fds', '1', '-b', b.dir, id]);
        const created = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, err, ...leaked], timeout: 30_000 });
        assert.equal(created.status, 0, readFileSync(`${out}.err`, 'utf8'));
      } finally {
        closeSync(fd);
        closeSync(err);
      }
      assert.equal(r.run(['start', id]).status, 0);
      let text = '';
      for (let i = 0; i < 500 && !text.endsWith('\n'); i++) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        text = readFileSync(out, 'utf8');
      }
      assert.deepEqual(fdsOf(JSON.parse(text) as Report), [0, 1, 2, 3]);
      assert.equal(r.run(['delete', '-f', id]).status, 0);
    });

    test('LISTEN_FDS for this process: those fds first, LISTEN_FDS and LISTEN_PID=1 in the environment', () => {
      const { argv, env } = r.command(['run', '--preserve-fds', '1', '-b', b.dir, newId('listen')]);
      // the shell execs the runtime (setpriv and bin/ocirt exec too): $$ stays its pid
      const viaShell = (listenPid: string) =>
        spawnSync('sh', ['-c', `LISTEN_PID=${listenPid} exec "$@"`, 'sh', ...argv], {
          env: { ...env, LISTEN_FDS: '2' },
          stdio: ['ignore', 'pipe', 'pipe', ...leaked],
          encoding: 'utf8',
          timeout: 30_000,
        });
      const res = viaShell('$$');
      assert.equal(res.status, 0, res.stderr);
      const rep = JSON.parse(res.stdout) as Report;
      assert.deepEqual(fdsOf(rep), [0, 1, 2, 3, 4, 5], 'two activation fds, then one preserved');
      assert.equal(rep.fds[5]!.target, b.dir);
      assert.ok(rep.env.includes('LISTEN_FDS=2') && rep.env.includes('LISTEN_PID=1'), rep.env.join(' '));
      // meant for another process: not ours to pass on
      const other = viaShell('1');
      assert.equal(other.status, 0, other.stderr);
      const rep2 = JSON.parse(other.stdout) as Report;
      assert.deepEqual(fdsOf(rep2), [0, 1, 2, 3]);
      assert.ok(!rep2.env.some((e) => e.startsWith('LISTEN_')));
      assert.deepEqual(stateDirs(r), []);
    });
  });
}
