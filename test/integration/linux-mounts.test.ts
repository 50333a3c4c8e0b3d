// Mounts as the container sees them (its /proc/self/mountinfo and files): every mount option word,
// recursive attributes, id-mapped mounts, tmpcopyup, the filesystems of a container, binds of files
// and directories, targets created or followed inside the rootfs; and a racing process that swaps
// a target for a symlink cannot send a mount outside the rootfs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  IS_ROOT,
  PROBE,
  RUN_TOKEN,
  makeBundle,
  newId,
  runner,
  stateDirs,
  testUser,
  type Bundle,
  type Config,
  type Runner,
  type User,
} from '../helpers/containers.ts';

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : false;

interface MountLine {
  point: string;
  /** per-mount options (field 6) */
  opts: string[];
  /** optional fields: shared:N, master:N, unbindable */
  tags: string[];
  fstype: string;
  source: string;
  /** superblock options */
  superOpts: string[];
}

function parseMountinfo(lines: string[]): MountLine[] {
  return lines.map((l) => {
    const f = l.split(' ');
    const dash = f.indexOf('-');
    return {
      point: f[4],
      opts: f[5].split(','),
      tags: f.slice(6, dash),
      fstype: f[dash + 1],
      source: f[dash + 2],
      superOpts: (f[dash + 3] ?? '').split(','),
    };
  });
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`${mode}: mounts`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    const dirs: string[] = [];
    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
    const bundle = (mutate: (c: Config) => void, prepare?: (rootfs: string) => void): Bundle => {
      const b = makeBundle(mutate, user);
      bundles.push(b);
      prepare?.(b.rootfs);
      // what prepare made belongs to the user too (makeBundle chowned only its own files)
      if (user) for (const p of walk(b.rootfs)) lchownSync(p, user.uid, user.gid);
      return b;
    };
    const mounts = (b: Bundle): MountLine[] => {
      const res = r.run(['run', '-b', b.dir, newId('mnt')]);
      assert.equal(res.status, 0, res.stderr);
      return parseMountinfo((JSON.parse(res.stdout) as { mountinfo: string[] }).mountinfo);
    };
    const at = (ms: MountLine[], point: string): MountLine => {
      const m = [...ms].reverse().find((x) => x.point === point);
      assert.ok(m, `a mount at ${point}: ${ms.map((x) => x.point).join(' ')}`);
      return m;
    };
    const report = (c: Config) => (c.process.args = ['/bin/probe', 'report']);

    test('every flag word of mount(8) on its own tmpfs', () => {
      const words: [string[], (m: MountLine) => void][] = [
        [['ro'], (m) => assert.ok(m.opts.includes('ro'))],
        [['ro', 'rw'], (m) => assert.ok(m.opts.includes('rw'), 'the last word wins')],
        [['nosuid'], (m) => assert.ok(m.opts.includes('nosuid'))],
        [['nosuid', 'suid'], (m) => assert.ok(!m.opts.includes('nosuid'))],
        [['nodev'], (m) => assert.ok(m.opts.includes('nodev'))],
        [['nodev', 'dev'], (m) => assert.ok(!m.opts.includes('nodev'))],
        [['noexec'], (m) => assert.ok(m.opts.includes('noexec'))],
        [['noexec', 'exec'], (m) => assert.ok(!m.opts.includes('noexec'))],
        [['noatime'], (m) => assert.ok(m.opts.includes('noatime'))],
        [['noatime', 'atime'], (m) => assert.ok(!m.opts.includes('noatime'))],
        [['strictatime'], (m) => assert.ok(!m.opts.includes('relatime') && !m.opts.includes('noatime'), `${m.opts}`)],
        [['relatime'], (m) => assert.ok(m.opts.includes('relatime'))],
        [['nodiratime'], (m) => assert.ok(m.opts.includes('nodiratime'))],
        [['nodiratime', 'diratime'], (m) => assert.ok(!m.opts.includes('nodiratime'))],
        [['nosymfollow'], (m) => assert.ok(m.opts.includes('nosymfollow'))],
        [['nosymfollow', 'symfollow'], (m) => assert.ok(!m.opts.includes('nosymfollow'))],
        [['sync'], (m) => assert.ok(m.superOpts.includes('sync'), `${m.superOpts}`)],
        [['sync', 'async'], (m) => assert.ok(!m.superOpts.includes('sync'))],
        [['dirsync'], (m) => assert.ok(m.superOpts.includes('dirsync'))],
        [['lazytime'], (m) => assert.ok(m.superOpts.includes('lazytime'))],
        [['lazytime', 'nolazytime'], (m) => assert.ok(!m.superOpts.includes('lazytime'))],
        [['defaults', 'silent', 'loud', 'iversion', 'noiversion', 'nomand'], (m) => assert.ok(m.opts.includes('rw'))],
        [
          ['size=1m', 'mode=0750', 'nr_inodes=100'],
          (m) =>
            assert.ok(
              ['size=1024k', 'nr_inodes=100', 'mode=750'].every((o) => m.superOpts.includes(o)),
              `${m.superOpts}`,
            ),
        ],
      ];
      const b = bundle((c) => {
        report(c);
        words.forEach(([options], i) => c.mounts.push({ destination: `/m/${i}`, type: 'tmpfs', source: `w${i}`, options }));
      });
      const ms = mounts(b);
      words.forEach(([options, check], i) => {
        const m = at(ms, `/m/${i}`);
        assert.equal(m.source, `w${i}`);
        try {
          check(m);
        } catch (e) {
          throw new Error(`${options.join(',')}: ${(e as Error).message} (${m.opts} - ${m.superOpts})`);
        }
      });
    });

    test('remount changes a mount made before it', () => {
      const b = bundle((c) => {
        report(c);
        c.mounts.push(
          { destination: '/t', type: 'tmpfs', source: 'tmpfs' },
          { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['remount', 'ro'] },
        );
      });
      const m = at(mounts(b), '/t');
      assert.ok(m.superOpts.includes('ro') || m.opts.includes('ro'), `${m.opts} - ${m.superOpts}`);
    });

    test('bind and rbind, recursive attributes, propagation on a tree with a submount', () => {
      // /tree gets a tmpfs at /tree/sub first; the binds below take /tree from the rootfs (a host
      // path), where the init made that submount. In a user namespace the kernel locks the atime
      // of mounts that came from the host (changing it is EPERM, for runc too): root only.
      const atime = mode === 'root' ? ['rnoatime', 'rnodiratime'] : [];
      const b = bundle(
        (c) => {
          report(c);
          c.mounts.push(
            { destination: '/tree/sub', type: 'tmpfs', source: 'sub' },
            { destination: '/plain', type: 'bind', source: 'rootfs/tree', options: ['bind', 'ro'] },
            { destination: '/rec', type: 'bind', source: 'rootfs/tree', options: ['rbind', 'ro'] },
            {
              destination: '/rro',
              type: 'bind',
              source: 'rootfs/tree',
              options: ['rbind', 'rro', 'rnosuid', 'rnodev', 'rnoexec', ...atime, 'rnosymfollow'],
            },
            ...(mode === 'root'
              ? [{ destination: '/strict', type: 'bind', source: 'rootfs/tree', options: ['rbind', 'rstrictatime'] }]
              : []),
            { destination: '/shared', type: 'bind', source: 'rootfs/tree', options: ['rbind', 'rshared'] },
            { destination: '/unbind', type: 'bind', source: 'rootfs/tree', options: ['bind', 'unbindable'] },
            { destination: '/private', type: 'bind', source: 'rootfs/tree', options: ['bind', 'private'] },
          );
        },
        (rootfs) => mkdirSync(join(rootfs, 'tree', 'sub'), { recursive: true }),
      );
      const ms = mounts(b);
      assert.ok(at(ms, '/plain').opts.includes('ro'));
      assert.ok(!ms.some((m) => m.point === '/plain/sub'), 'bind: not the submount');
      assert.ok(at(ms, '/rec').opts.includes('ro'));
      assert.ok(at(ms, '/rec/sub').opts.includes('rw'), 'rbind with "ro": only the top is read-only');
      for (const p of ['/rro', '/rro/sub']) {
        const o = at(ms, p).opts;
        for (const w of ['ro', 'nosuid', 'nodev', 'noexec', 'nosymfollow', ...(mode === 'root' ? ['noatime', 'nodiratime'] : [])])
          assert.ok(o.includes(w), `${p}: ${w} in ${o}`);
      }
      if (mode === 'root')
        for (const p of ['/strict', '/strict/sub'])
          assert.ok(!at(ms, p).opts.some((o) => o === 'relatime' || o === 'noatime'), `${p}: strictatime`);
      for (const p of ['/shared', '/shared/sub'])
        assert.ok(
          at(ms, p).tags.some((t) => t.startsWith('shared:')),
          `${p}: shared`,
        );
      assert.ok(at(ms, '/unbind').tags.includes('unbindable'));
      assert.deepEqual(at(ms, '/private').tags, []);
    });

    test('file and directory binds; missing targets are created inside the rootfs', () => {
      const src = mkdtempSync('/tmp/ocirt-src-');
      dirs.push(src);
      chmodSync(src, 0o755);
      writeFileSync(join(src, 'file'), 'from the host\n');
      if (user) chownSync(src, user.uid, user.gid);
      const b = bundle((c) => {
        c.mounts.push(
          { destination: '/new/deep/dir', type: 'bind', source: src, options: ['bind'] },
          { destination: '/etc/newfile', type: 'bind', source: join(src, 'file'), options: ['bind', 'ro'] },
        );
        c.process.args = ['/bin/sh', '-c', 'cat /new/deep/dir/file /etc/newfile; test -f /etc/newfile && echo is-file'];
      });
      const res = r.run(['run', '-b', b.dir, newId('bind')]);
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout, 'from the host\nfrom the host\nis-file\n');
      assert.ok(existsSync(join(b.rootfs, 'new', 'deep', 'dir')), 'made in the rootfs');
    });

    test('a symlinked target inside the rootfs is followed (/var/run -> /run); one that points out stays in', () => {
      const outside = `/tmp/ocirt-outside-${RUN_TOKEN}-${mode}`;
      const b = bundle(
        (c) => {
          report(c);
          c.mounts.push(
            { destination: '/var/run', type: 'tmpfs', source: 'varrun' },
            { destination: '/esc', type: 'tmpfs', source: 'esc' },
          );
        },
        (rootfs) => {
          mkdirSync(join(rootfs, 'run'));
          mkdirSync(join(rootfs, 'var'));
          symlinkSync('/run', join(rootfs, 'var', 'run'));
          symlinkSync(`../../../../../../..${outside}`, join(rootfs, 'esc'));
        },
      );
      const ms = mounts(b);
      assert.equal(at(ms, '/run').source, 'varrun');
      assert.equal(at(ms, outside).source, 'esc', 'the link resolved inside the rootfs');
      assert.ok(existsSync(join(b.rootfs, outside)), 'created inside the rootfs');
      assert.ok(!existsSync(outside), 'nothing made on the host');
    });

    test('the filesystems of a container: proc, sysfs, devpts (newinstance, ptmxmode), mqueue, tmpfs', () => {
      const b = bundle((c) => {
        c.mounts.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
        c.process.args = ['/bin/sh', '-c', '/bin/probe report; /bin/probe stat /dev/pts/ptmx; /bin/probe stat /dev/ptmx'];
      });
      const res = r.run(['run', '-b', b.dir, newId('fs')]);
      assert.equal(res.status, 0, res.stderr);
      const [rep, ptmx, devPtmx] = res.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const ms = parseMountinfo(rep.mountinfo);
      assert.equal(at(ms, '/proc').fstype, 'proc');
      assert.equal(at(ms, '/sys').fstype, mode === 'root' ? 'sysfs' : 'sysfs'); // rootless: the host's /sys bound
      const pts = at(ms, '/dev/pts');
      assert.equal(pts.fstype, 'devpts');
      assert.ok(pts.superOpts.includes('ptmxmode=666') && pts.superOpts.includes('mode=620'), `${pts.superOpts}`);
      assert.equal(ptmx.mode, 0o666, 'ptmxmode');
      assert.equal(devPtmx.type, 'symlink', "/dev/ptmx is the new instance's");
      assert.equal(at(ms, '/dev/mqueue').fstype, 'mqueue');
      assert.equal(at(ms, '/dev/shm').fstype, 'tmpfs');
    });

    test('tmpcopyup: the tmpfs starts with a copy of what it covers; writes stay in it', () => {
      const b = bundle(
        (c) => {
          c.mounts.push({ destination: '/cu', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'mode=755'] });
          c.process.args = [
            '/bin/sh',
            '-c',
            'cat /cu/f /cu/sub/g; readlink /cu/link; /bin/probe ls /cu; echo new > /cu/new && echo written',
          ];
        },
        (rootfs) => {
          mkdirSync(join(rootfs, 'cu', 'sub'), { recursive: true });
          writeFileSync(join(rootfs, 'cu', 'f'), 'top\n');
          chmodSync(join(rootfs, 'cu', 'f'), 0o604);
          writeFileSync(join(rootfs, 'cu', 'sub', 'g'), 'below\n');
          symlinkSync('f', join(rootfs, 'cu', 'link'));
          if (!user) chownSync(join(rootfs, 'cu', 'f'), 1000, 1001);
        },
      );
      const res = r.run(['run', '-b', b.dir, newId('copyup')]);
      assert.equal(res.status, 0, res.stderr);
      const lines = res.stdout.split('\n');
      assert.deepEqual(lines.slice(0, 3), ['top', 'below', 'f']);
      const entries = (JSON.parse(lines[3]) as { entries: { name: string; type: string; mode: number; uid: number; gid: number }[] })
        .entries;
      const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
      assert.equal(byName.f.mode, 0o604);
      if (!user) assert.deepEqual([byName.f.uid, byName.f.gid], [1000, 1001], 'owner kept');
      assert.equal(byName.sub.type, 'dir');
      assert.equal(byName.link.type, 'symlink');
      assert.equal(lines[4], 'written');
      assert.ok(!existsSync(join(b.rootfs, 'cu', 'new')), 'the image is untouched');
    });

    test("id-mapped mounts: idmap with the mount's own mappings, with the container's, ridmap", () => {
      const src = mkdtempSync('/tmp/ocirt-idmap-');
      dirs.push(src);
      chmodSync(src, 0o755);
      writeFileSync(join(src, 'owned-by-0'), 'x');
      writeFileSync(join(src, 'owned-by-1000'), 'x');
      chownSync(join(src, 'owned-by-1000'), 1000, 1000);
      const maps = { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };
      const b = bundle((c) => {
        c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'], ...maps });
        c.process.args = ['/bin/sh', '-c', '/bin/probe ls /idm; grep " /idm " /proc/self/mountinfo'];
      });
      const id = newId('idmap');
      const res = r.run(['run', '-b', b.dir, id]);
      if (mode === 'rootless') {
        assert.equal(res.status, 1);
        assert.match(res.stderr, /\/mounts\/\d+: id-mapped mounts need a privileged runtime/);
        assert.deepEqual(stateDirs(r), []);
        return;
      }
      assert.equal(res.status, 0, res.stderr);
      const [ls, line] = res.stdout.trim().split('\n');
      const owner = Object.fromEntries(
        (JSON.parse(ls) as { entries: { name: string; uid: number }[] }).entries.map((e) => [e.name, e.uid]),
      );
      // disk id 0 is the mapping's 0, shown as host 1000; disk 1000 is not mapped: the overflow id
      assert.deepEqual(owner, { 'owned-by-0': 1000, 'owned-by-1000': 65534 });
      assert.match(line, /\bidmapped\b/);

      // a user namespace container, "ridmap" with no mappings of its own: the container's are used,
      // so the host's root-owned files are the container root's
      const u = bundle(
        (c) => {
          c.linux.namespaces.push({ type: 'user' });
          c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
          c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
          c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['rbind', 'ridmap'] });
          c.process.args = ['/bin/sh', '-c', '/bin/probe ls /idm; touch /idm/made-inside'];
        },
        (rootfs) => mkdirSync(join(rootfs, 'idm')),
      );
      chmodSync(u.rootfs, 0o755);
      const ures = r.run(['run', '-b', u.dir, newId('ridmap')]);
      assert.equal(ures.status, 0, ures.stderr);
      const uowner = Object.fromEntries(
        (JSON.parse(ures.stdout) as { entries: { name: string; uid: number }[] }).entries.map((e) => [e.name, e.uid]),
      );
      assert.equal(uowner['owned-by-0'], 0, "host root is the container's root through the mount");
      assert.equal(readFileSync(`/proc/self/mountinfo`, 'utf8').includes(src), false, 'nothing mounted on the host');
      const made = JSON.parse(spawnSyncProbe(['stat', join(src, 'made-inside')])) as { uid: number };
      assert.equal(made.uid, 0, "a file the container's root made is root's on disk");
    });

    if (mode === 'root') {
      test('a target swapped for a symlink by a racing process cannot send a mount out of the rootfs', async () => {
        // The class of runc's CVE-2021-30465: between the check of a target and the mount, a
        // process that shares the rootfs swaps a directory on the target's path for a symlink
        // to a host directory. The targets exist on the host side too, so that a mount that
        // follows the link (by path) succeeds there: invisible in the container, which then
        // misses it.
        const outside = mkdtempSync('/tmp/ocirt-race-outside-');
        dirs.push(outside);
        const N = 12;
        for (let i = 0; i < N; i++) mkdirSync(join(outside, `m${i}`));
        const b = bundle(
          (c) => {
            // many mounts under the swapped directory: each one a chance for the race
            for (let i = 0; i < N; i++)
              c.mounts.push({ destination: `/target/m${i}`, type: 'tmpfs', source: `race${i}`, options: ['size=16k'] });
            report(c);
          },
          (rootfs) => {
            mkdirSync(join(rootfs, 'target'));
            for (let i = 0; i < N; i++) mkdirSync(join(rootfs, 'target', `m${i}`));
            symlinkSync(outside, join(rootfs, 'swap'));
          },
        );
        // The racer puts the symlink in place only for the instant between two exchanges and keeps
        // the directory a random 0..100 µs: at full speed both ways, nearly every container meets
        // the link on one of its twelve paths and fails cleanly, and nothing would be checked.
        const racer = spawn(PROBE, ['swap', join(b.rootfs, 'target'), join(b.rootfs, 'swap'), '120', '100000'], { stdio: 'ignore' });
        let ran = 0;
        try {
          // twenty rounds, and more (up to a hundred) while none has run
          for (let round = 0; round < 20 || (ran === 0 && round < 100); round++) {
            const res = r.run(['run', '-b', b.dir, newId('race')]);
            if (res.status !== 0) {
              // a clean failure, naming the mount, would be acceptable; a mount elsewhere is not
              assert.match(res.stderr, /\/mounts\/\d+: container init/, res.stderr);
              continue;
            }
            ran++;
            const ms = parseMountinfo((JSON.parse(res.stdout) as { mountinfo: string[] }).mountinfo);
            for (let i = 0; i < N; i++) {
              const m = ms.filter((x) => x.source === `race${i}`);
              assert.equal(m.length, 1, `round ${round}: race${i} is inside the container (${m.map((x) => x.point)})`);
            }
          }
        } finally {
          racer.kill('SIGKILL');
        }
        assert.ok(ran > 0, 'some containers ran');
        for (let i = 0; i < N; i++) assert.deepEqual(readdirNames(join(outside, `m${i}`)), [], 'nothing made in the host directory');
        assert.deepEqual(readdirNames(outside).sort(), Array.from({ length: N }, (_, i) => `m${i}`).sort());
        assert.deepEqual(stateDirs(r), []);
      });
    }
  });
}

function walk(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(...(e.isDirectory() ? walk(p) : [p]));
  }
  return out;
}

const readdirNames = (dir: string): string[] => readdirSync(dir);

/** The probe run on the host (stat of a host file, as the container's probe would print it). */
function spawnSyncProbe(args: string[]): string {
  const r = spawnSync(PROBE, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
