// Mount targets a hostile rootfs (or a racing helper with write access to it) tries to redirect:
// runc's CVE-2021-30465 (a target swapped for a symlink while mounts are made), CVE-2023-27561 /
// CVE-2019-19921 (procfs mounted through a symlink), CVE-2024-45310 (directories created on the
// host through symlinks), CVE-2025-31133 (/dev/null replaced before masked paths are bound from
// it) and CVE-2025-52565 (/dev/console replaced by a symlink). Every mount must land inside the
// rootfs, where the config says, or the create must fail cleanly; the host is never touched.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  hostSnapshot,
  json,
  newId,
  runner,
  stateDirs,
  testUser,
  type Bundle,
  type Config,
  type Runner,
  type User,
} from '../helpers/containers.ts';
import { ATTACK, SKIP, assertCleanFailure, attackBundle } from '../helpers/security.ts';
import * as native from '../../src/native.ts';
import { execFileSync } from 'node:child_process';

const execChown = (p: string, u: User) => execFileSync('chown', ['-R', `${u.uid}:${u.gid}`, p]);

for (const mode of ['root', 'rootless'] as const) {
  describe(`mount targets in a hostile rootfs (${mode})`, { skip: SKIP }, () => {
    let user: User | undefined;
    let r: Runner;
    let hostDir: string;
    const bundles: Bundle[] = [];
    const bundle = (mutate?: (c: Config) => void) => {
      const b = attackBundle(mutate, user);
      bundles.push(b);
      return b;
    };
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      // a host directory the rootfs's symlinks point at: nothing may ever appear in it
      hostDir = mkdtempSync('/tmp/ocirt-sec-host-');
      if (user) chownSync(hostDir, user.uid, user.gid);
    });
    after(() => {
      r.cleanup();
      bundles.forEach((b) => b.cleanup());
      rmSync(hostDir, { recursive: true, force: true });
    });

    /** create, expecting a clean failure that leaves nothing behind */
    const refused = (b: Bundle, pattern: RegExp) => {
      const before = hostSnapshot();
      const c = r.run(['create', '-b', b.dir, newId('refused')]);
      assertCleanFailure(c, 'create');
      assert.match(c.stderr, pattern);
      assert.deepEqual(stateDirs(r), []);
      const after = hostSnapshot();
      assert.deepEqual(after.mounts, before.mounts);
      assert.deepEqual(after.cgroups, before.cgroups);
      assert.deepEqual(readdirSync(hostDir), []);
    };

    for (const [what, make] of [
      ['an absolute symlink', (p: string) => symlinkSync('/tmp', p)],
      ['a symlink climbing out of the rootfs', (p: string) => symlinkSync(`../../../../../../..${hostDir}`, p)],
      ['a symlink to /proc/self/root', (p: string) => symlinkSync('/proc/self/root/tmp', p)],
      ['a regular file', (p: string) => writeFileSync(p, '')],
    ] as const) {
      test(`/proc in the rootfs is ${what}: refused, as runc refuses it`, () => {
        const b = bundle((c) => (c.process.args = ['/bin/probe', 'exit', '0']));
        rmSync(join(b.rootfs, 'proc'), { recursive: true });
        make(join(b.rootfs, 'proc'));
        if (user) lchownSync(join(b.rootfs, 'proc'), user.uid, user.gid);
        refused(b, /\/mounts\/0: .*proc.*ordinary directory/);
      });
    }

    test('/sys in the rootfs is a symlink: sysfs is refused too', (t) => {
      if (mode === 'rootless') return t.skip('rootless configs bind /sys (a bind follows symlinks inside the rootfs, as runc does)');
      const b = bundle((c) => (c.process.args = ['/bin/probe', 'exit', '0']));
      rmSync(join(b.rootfs, 'sys'), { recursive: true });
      symlinkSync('/tmp', join(b.rootfs, 'sys'));
      refused(b, /\/mounts\/4: .*sysfs.*ordinary directory/);
    });

    test('symlinks out of the rootfs: mounts land inside it', () => {
      const vol = mkdtempSync('/tmp/ocirt-sec-vol-');
      try {
        if (user) chownSync(vol, user.uid, user.gid);
        const b = bundle((c) => {
          c.process.args = ['/bin/attack', 'mountinfo', hostDir];
          c.mounts.push(
            { destination: '/abs/t', type: 'tmpfs', source: 'tmpfs' },
            { destination: '/rel/sub', type: 'tmpfs', source: 'tmpfs' },
            { destination: '/abs/x', type: 'bind', source: vol, options: ['bind'] },
          );
        });
        // pointing at the host directory, which also exists inside the rootfs: followed on the
        // host, a mount or mkdir would land in hostDir; followed inside the root, in the rootfs
        mkdirSync(join(b.rootfs, hostDir), { recursive: true });
        symlinkSync(hostDir, join(b.rootfs, 'abs'));
        symlinkSync(`../../../../../../../..${hostDir}`, join(b.rootfs, 'rel'));
        if (user) execChown(b.rootfs, user);
        const o = r.run(['run', '-b', b.dir, newId('links')]);
        assert.equal(o.status, 0, o.stderr);
        const mounts = json<{ mounts: string[] }>(o).mounts;
        for (const m of [`${hostDir}/t`, `${hostDir}/sub`, `${hostDir}/x`])
          assert.ok(mounts.includes(m), `${m} not mounted inside the container: ${mounts.join(' ')}`);
        assert.deepEqual(readdirSync(hostDir), []);
        assert.deepEqual(readdirSync(join(b.rootfs, hostDir)).sort(), ['sub', 't', 'x']);
      } finally {
        rmSync(vol, { recursive: true, force: true });
      }
    });

    test('dangling symlinks out of the rootfs: nothing is created on the host', () => {
      // Whether a target is created through a dangling symlink that resolves inside the rootfs
      // (runc does) is branch linux's; either way the host must not see it.
      const b = bundle((c) => {
        c.process.args = ['/bin/attack', 'mountinfo', hostDir];
        c.mounts.push({ destination: '/abs', type: 'tmpfs', source: 'tmpfs' }, { destination: '/rel/sub', type: 'tmpfs', source: 'tmpfs' });
      });
      symlinkSync(`${hostDir}/created`, join(b.rootfs, 'abs'));
      symlinkSync(`../../../../../../../..${hostDir}/created2`, join(b.rootfs, 'rel'));
      const o = r.run(['run', '-b', b.dir, newId('dangling')]);
      if (o.status === 0) {
        const mounts = json<{ mounts: string[] }>(o).mounts;
        for (const m of [`${hostDir}/created`, `${hostDir}/created2/sub`])
          assert.ok(mounts.includes(m), `${m} not mounted inside the container: ${mounts.join(' ')}`);
      } else {
        assertCleanFailure(o, 'run');
      }
      assert.deepEqual(readdirSync(hostDir), []);
      assert.deepEqual(stateDirs(r), []);
    });

    test('a racing helper swapping a target for a symlink cannot redirect a mount', async () => {
      const b = bundle((c) => {
        c.process.args = ['/bin/attack', 'mountinfo', '/data'];
        c.mounts.push(
          { destination: '/data/sub', type: 'tmpfs', source: 'tmpfs' },
          { destination: '/data/deep/er', type: 'tmpfs', source: 'tmpfs' },
        );
      });
      // /data and a symlink to the host directory, exchanged as fast as the kernel allows by a
      // process on the host (a compromised container sharing a volume could do the same)
      mkdirSync(join(b.rootfs, 'data'));
      symlinkSync(hostDir, join(b.rootfs, 'data-swap'));
      if (user) for (const p of ['data', 'data-swap']) lchownSync(join(b.rootfs, p), user.uid, user.gid);
      const racer = spawn(ATTACK, ['swap', join(b.rootfs, 'data'), join(b.rootfs, 'data-swap'), '120'], {
        cwd: b.dir,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let swaps = '';
      racer.stdout.on('data', (d: Buffer) => (swaps += d.toString()));
      const done = new Promise((res) => racer.on('close', res));
      let ran = 0;
      try {
        for (let i = 0; i < 25; i++) {
          const o = r.run(['run', '-b', b.dir, newId('race')]);
          if (o.status !== 0) {
            assertCleanFailure(o, `race run ${i}`);
            continue;
          }
          ran++;
          // what the container sees: its mounts under its own /data (whichever name /data had)
          assert.equal(readdirSync(hostDir).length, 0, `run ${i}: something was created on the host: ${readdirSync(hostDir).join(' ')}`);
        }
      } finally {
        writeFileSync(join(b.dir, 'stop'), '');
        await done;
      }
      assert.deepEqual(readdirSync(hostDir), [], 'the racing helper got a mount or a directory onto the host');
      assert.ok(JSON.parse(swaps).swaps > 0, `the helper did not race: ${swaps}`);
      assert.ok(ran > 0, 'no container ran at all');
      assert.deepEqual(stateDirs(r), []);
    });

    test('/dev/null replaced by a symlink cannot turn a masked path into a writable host file', (t) => {
      if (mode === 'rootless') return t.skip('root of a user namespace cannot write host sysctls: nothing to redirect to');
      const target = '/proc/sys/fs/lease-break-time';
      const hostValue = readFileSync(target, 'utf8');
      const b = bundle((c) => {
        // /dev comes from a volume the container controls (the bundle's devdir), so no device is
        // created over its /dev/null
        c.mounts = c.mounts.filter((m: { destination: string }) => !m.destination.startsWith('/dev'));
        c.mounts.push({ destination: '/dev', type: 'bind', source: 'devdir', options: ['rbind'] });
        c.linux.maskedPaths = ['/proc/keys', '/proc/timer_list'];
        c.process.args = ['/bin/sh', '-c', '/bin/attack rewrite /proc/keys; /bin/attack rewrite /proc/timer_list'];
      });
      mkdirSync(join(b.dir, 'devdir'));
      symlinkSync(target, join(b.dir, 'devdir', 'null'));
      const o = r.run(['run', '-b', b.dir, newId('devnull')]);
      if (o.status === 0) {
        for (const line of o.stdout.split('\n').filter(Boolean)) {
          const res = JSON.parse(line) as { write_errno: number; content: string };
          assert.ok(!(res.write_errno === 0 && res.content === hostValue), `a masked path is a writable ${target}: ${line}`);
        }
      } else {
        assertCleanFailure(o, 'run');
      }
      assert.equal(readFileSync(target, 'utf8'), hostValue);
    });

    test('/dev/console replaced by a symlink is not where the terminal goes', async () => {
      const sock = join(r.root, `console-${process.pid}.sock`);
      const listener = native.unixListen(sock);
      if (user) chownSync(sock, user.uid, user.gid);
      try {
        const b = bundle((c) => {
          // /dev from the image: its console is a symlink into /proc
          c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/dev');
          c.process.terminal = true;
          c.process.args = ['/bin/attack', 'mountinfo', '/proc/sys'];
        });
        mkdirSync(join(b.rootfs, 'dev'), { recursive: true });
        symlinkSync('/proc/sys/fs/lease-break-time', join(b.rootfs, 'dev', 'console'));
        const id = newId('console');
        const c = r.run(['create', '--console-socket', sock, '-b', b.dir, id]);
        if (c.status !== 0) {
          assertCleanFailure(c, 'create');
          return;
        }
        const conn = native.acceptFd(listener);
        const { fd: master } = native.recvFd(conn);
        native.closeFd(conn);
        try {
          assert.equal(r.run(['start', id]).status, 0);
          // read what the container printed on its terminal
          let out = '';
          const buf = Buffer.alloc(4096);
          const { readSync } = await import('node:fs');
          for (let i = 0; i < 50 && !out.includes('}'); i++) {
            try {
              const n = readSync(master, buf);
              if (n > 0) out += buf.subarray(0, n).toString();
              else break;
            } catch {
              break;
            }
          }
          const mounts = (JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as { mounts: string[] }).mounts;
          assert.ok(
            !mounts.includes('/proc/sys/fs/lease-break-time'),
            `the terminal was mounted over the symlink's target: ${mounts.join(' ')}`,
          );
        } finally {
          native.closeFd(master);
          r.run(['delete', '-f', id]);
        }
      } finally {
        native.closeFd(listener);
        if (existsSync(sock)) unlinkSync(sock);
      }
    });
  });
}
