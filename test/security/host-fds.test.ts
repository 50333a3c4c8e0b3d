// CVE-2024-21626 class: no host fd, cwd or directory handle reaches the container. runc leaked a
// descriptor of the host's /sys/fs/cgroup into its init; a process.cwd of /proc/self/fd/7 then
// left the container with a working directory on the host. Here the runtime itself is started
// with host directories open (what a careless engine leaks, or what --preserve-fds passes on) and
// the container asks for every /proc/self/fd/N as its cwd: it must fail cleanly or run with a cwd
// inside its root, and it must see no descriptor it was not given.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { newId, runner, testUser, type Bundle, type Runner, type User } from '../helpers/containers.ts';
import { SKIP, assertCleanFailure, attackBundle, execImplemented, runWithFds } from '../helpers/security.ts';

/** Host directories the runtime is started with, as fds 3, 4, ... */
const HOST_DIRS = ['/', '/etc', '/proc', '/sys/fs/cgroup', '/root', '/run', '/var'];

for (const mode of ['root', 'rootless'] as const) {
  describe(`CVE-2024-21626: host fds and cwd (${mode})`, { skip: SKIP }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    let dirFds: number[];
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      b = attackBundle((c) => (c.process.args = ['/bin/attack', 'cwd']), user);
      dirFds = HOST_DIRS.map((d) => openSync(d, 'r'));
    });
    after(() => {
      dirFds.forEach((fd) => closeSync(fd));
      r.cleanup();
      b.cleanup();
    });

    const withCwd = (cwd: string, args = ['/bin/attack', 'cwd']) => {
      b.config.process.cwd = cwd;
      b.config.process.args = args;
      b.write();
    };

    test('cwd /proc/self/fd/N for every N, host directories leaked to the runtime', async () => {
      for (let n = 3; n < 3 + HOST_DIRS.length + 6; n++) {
        withCwd(`/proc/self/fd/${n}`);
        const o = await runWithFds(r, ['run', '-b', b.dir, newId(`cwd${n}`)], dirFds);
        if (o.status === 0) {
          const report = JSON.parse(o.stdout) as { getcwd: string | null; escaped: boolean };
          assert.equal(report.escaped, false, `cwd /proc/self/fd/${n}: the container's cwd is outside its root (getcwd ${report.getcwd})`);
        } else {
          assertCleanFailure(o, `cwd /proc/self/fd/${n}`);
        }
      }
    });

    test('a preserved host directory is refused as the cwd', async () => {
      const preserved = 3;
      for (let n = 3; n < 3 + preserved; n++) {
        withCwd(`/proc/self/fd/${n}`);
        const id = newId(`pcwd${n}`);
        const o = await runWithFds(r, ['run', '--preserve-fds', String(preserved), '-b', b.dir, id], dirFds);
        assert.notEqual(o.status, 0, `cwd /proc/self/fd/${n} (preserved ${HOST_DIRS[n - 3]}) ran: ${o.stdout}`);
        assert.doesNotMatch(o.stdout, /"escaped":true/);
        assert.match(o.stderr, /outside the container's root/, `cwd /proc/self/fd/${n}: ${o.stderr}`);
      }
    });

    test('the container sees only its stdio and the fds it was given', async () => {
      withCwd('/', ['/bin/attack', 'fds']);
      const plain = await runWithFds(r, ['run', '-b', b.dir, newId('fds')], dirFds);
      assert.equal(plain.status, 0, plain.stderr);
      const fds = (JSON.parse(plain.stdout) as { fds: { fd: number }[] }).fds.map((f) => f.fd).sort((x, y) => x - y);
      assert.deepEqual(fds, [0, 1, 2]);
      const kept = await runWithFds(r, ['run', '--preserve-fds', '2', '-b', b.dir, newId('fds')], dirFds);
      assert.equal(kept.status, 0, kept.stderr);
      const fds2 = (JSON.parse(kept.stdout) as { fds: { fd: number }[] }).fds.map((f) => f.fd).sort((x, y) => x - y);
      assert.deepEqual(fds2, [0, 1, 2, 3, 4]);
    });

    test("exec: cwd /proc/self/fd/N and the fds of an exec'd process", async (t) => {
      if (!execImplemented(r)) return t.skip('ocirt exec is not implemented in this build (branch exec)');
      withCwd('/', ['/bin/probe', 'sleep', '600']);
      const id = newId('execfd');
      const c = r.run(['run', '-d', '-b', b.dir, id]);
      assert.equal(c.status, 0, c.stderr);
      try {
        for (let n = 3; n < 3 + HOST_DIRS.length + 6; n++) {
          const o = await runWithFds(r, ['exec', '--cwd', `/proc/self/fd/${n}`, id, '/bin/attack', 'cwd'], dirFds);
          if (o.status === 0) assert.equal((JSON.parse(o.stdout) as { escaped: boolean }).escaped, false, `exec --cwd /proc/self/fd/${n}`);
          else assertCleanFailure(o, `exec --cwd /proc/self/fd/${n}`);
        }
        const o = await runWithFds(r, ['exec', id, '/bin/attack', 'fds'], dirFds);
        assert.equal(o.status, 0, o.stderr);
        const fds = (JSON.parse(o.stdout) as { fds: { fd: number }[] }).fds.map((f) => f.fd).sort((x, y) => x - y);
        assert.deepEqual(fds, [0, 1, 2]);
      } finally {
        r.run(['delete', '-f', id]);
      }
    });
  });
}
