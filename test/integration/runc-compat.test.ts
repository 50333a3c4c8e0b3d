// Bundles written for runc behave the same on ocirt (issue 11, item 6). Each case runs the same
// config with runc first (runc 1.1.5 here and in CI: Debian 12's), on a bundle of its own so
// neither sees what the other left in the rootfs, then with ocirt, and asserts that both did what
// a user can see: what the process printed, the exit status, the files left behind. The comment of
// each case says what runc did.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUSYBOX,
  IS_ROOT,
  PROBE,
  OCIRT,
  RUNC,
  hostSnapshot,
  makeBundle,
  newId,
  runWith,
  runner,
  runtimeCommand,
  stateDirs,
  type Bundle,
  type Config,
  type Runner,
  type RuntimeResult,
} from '../helpers/containers.ts';

const skip = !IS_ROOT
  ? 'needs root (CI runs it as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : !RUNC
      ? 'runc not installed (apt-get install runc): every case here is a comparison with it'
      : !BUSYBOX
        ? 'busybox-static not installed'
        : false;

describe('bundles written for runc', { skip }, () => {
  let r: Runner;
  const bundles: Bundle[] = [];
  const dirs: string[] = [];
  before(() => {
    r = runner();
  });
  after(() => {
    r.cleanup();
    for (const b of bundles) b.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The same config, run by runc and by ocirt, each on a fresh bundle. */
  function both(mutate: (c: Config) => void, prepare?: (rootfs: string) => void): { runc: RuntimeResult; ocirt: RuntimeResult } {
    const make = () => {
      const b = makeBundle(mutate);
      bundles.push(b);
      prepare?.(b.rootfs);
      return b;
    };
    const rb = make();
    const runc = runWith(RUNC!, rb.dir, newId('runc'));
    const ob = make();
    const ocirt = r.run(['run', '-b', ob.dir, newId('ocirt')]);
    return { runc, ocirt };
  }

  const sh = (script: string) => (c: Config) => (c.process.args = ['/bin/sh', '-c', script]);

  test('rootfsPropagation "rprivate", "rslave" and "rshared" are accepted (runc: accepted, / private for rprivate)', () => {
    for (const prop of ['rprivate', 'rslave', 'rshared']) {
      const { runc, ocirt } = both((c) => {
        c.linux.rootfsPropagation = prop;
        sh('head -1 /proc/self/mountinfo')(c);
      });
      assert.equal(runc.status, 0, `runc ${prop}: ${runc.stderr}`);
      assert.equal(ocirt.status, 0, `ocirt ${prop}: ${ocirt.stderr}`);
      assert.doesNotMatch(ocirt.stderr, /rootfsPropagation/, 'accepted as runc accepts it, without a word');
      if (prop === 'rprivate') {
        for (const [who, res] of [
          ['runc', runc],
          ['ocirt', ocirt],
        ] as const) {
          assert.doesNotMatch(res.stdout.split(' - ')[0], /shared:|master:/, `${who}: / is private`);
        }
      }
    }
  });

  test('HOME comes from the container\'s /etc/passwd, else "/" (runc: /home/user for uid 1000, "/" for 1001)', () => {
    const passwd = (rootfs: string) =>
      writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n');
    for (const [uid, home] of [
      [1000, '/home/user'],
      [1001, '/'],
    ] as const) {
      const { runc, ocirt } = both((c) => {
        c.process.env = ['PATH=/bin'];
        c.process.user = { uid, gid: 1000 };
        sh('echo "HOME=$HOME"')(c);
      }, passwd);
      assert.equal(runc.stdout.trim(), `HOME=${home}`, runc.stderr);
      assert.equal(ocirt.stdout.trim(), runc.stdout.trim(), ocirt.stderr);
    }
    // an explicit HOME is kept as it is
    const { runc, ocirt } = both((c) => {
      c.process.env = ['PATH=/bin', 'HOME=/srv'];
      sh('echo "HOME=$HOME"')(c);
    }, passwd);
    assert.equal(runc.stdout.trim(), 'HOME=/srv');
    assert.equal(ocirt.stdout.trim(), 'HOME=/srv');
  });

  test('a device may be outside /dev (runc: made, char 1:3 at /mydev/null2)', () => {
    const { runc, ocirt } = both((c) => {
      c.linux.devices = [{ path: '/mydev/null2', type: 'c', major: 1, minor: 3, fileMode: 0o666 }];
      c.process.args = ['/bin/probe', 'stat', '/mydev/null2'];
    });
    assert.equal(runc.status, 0, runc.stderr);
    assert.equal(ocirt.status, 0, ocirt.stderr);
    const want = { path: '/mydev/null2', type: 'char', mode: 0o666, uid: 0, gid: 0, rdev_major: 1, rdev_minor: 3 };
    assert.deepEqual(JSON.parse(runc.stdout), want);
    assert.deepEqual(JSON.parse(ocirt.stdout), want);
  });

  test('a bind source only the caller can reach is mounted in a user namespace (runc: mounted)', () => {
    // under a 0700 root directory: the container's root (host uid 100000) cannot look it up itself
    const parent = mkdtempSync('/tmp/ocirt-secret-');
    dirs.push(parent);
    chmodSync(parent, 0o700);
    const secret = join(parent, 'volume');
    mkdirSync(secret);
    const { runc, ocirt } = both(
      (c) => {
        c.linux.namespaces = c.linux.namespaces
          .filter((n: { type: string }) => n.type !== 'network')
          .concat([{ type: 'user' }, { type: 'network' }]);
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.mounts.push({ destination: '/secret', type: 'bind', source: secret, options: ['rbind'] });
        sh('grep " /secret " /proc/self/mountinfo')(c);
      },
      (rootfs) => {
        mkdirSync(join(rootfs, 'secret'));
        // the container's root must be able to read its own rootfs
        chmodSync(rootfs, 0o755);
      },
    );
    assert.equal(runc.status, 0, runc.stderr);
    assert.match(runc.stdout, new RegExp(`${secret} /secret `));
    assert.equal(ocirt.status, 0, ocirt.stderr);
    assert.match(ocirt.stdout, new RegExp(`${secret} /secret `));
  });

  test('a missing process.cwd is created (runc: created, as root, before the read-only root)', () => {
    const { runc, ocirt } = both((c) => {
      c.process.cwd = '/work/deep';
      sh('pwd; stat -c "%a %u" /work/deep')(c);
    });
    assert.equal(runc.stdout, '/work/deep\n755 0\n', runc.stderr);
    assert.equal(ocirt.stdout, runc.stdout, ocirt.stderr);
  });

  test('a mount onto a dangling symlink is made where it points inside the rootfs (runc: /run2 created and mounted)', () => {
    const { runc, ocirt } = both(
      (c) => {
        c.mounts.push({ destination: '/varrun', type: 'tmpfs', source: 'tmpfs' });
        sh('grep -c " /run2 .* - tmpfs " /proc/self/mountinfo; readlink /varrun')(c);
      },
      (rootfs) => symlinkSync('/run2', join(rootfs, 'varrun')),
    );
    assert.equal(runc.stdout, '1\n/run2\n', runc.stderr);
    assert.equal(ocirt.stdout, runc.stdout, ocirt.stderr);
  });

  test('a tmpfs keeps the mode of the directory it covers (runc: 710 and 1777 kept, even over mode=755)', () => {
    const { runc, ocirt } = both(
      (c) => {
        c.mounts.push(
          { destination: '/tm1', type: 'tmpfs', source: 'tmpfs' },
          { destination: '/tm2', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] },
          { destination: '/tm3', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] },
        );
        sh('stat -c "%n %a" /tm1 /tm2 /tm3')(c);
      },
      (rootfs) => {
        mkdirSync(join(rootfs, 'tm1'));
        chmodSync(join(rootfs, 'tm1'), 0o710);
        mkdirSync(join(rootfs, 'tm2'));
        chmodSync(join(rootfs, 'tm2'), 0o1777);
      },
    );
    assert.equal(runc.stdout, '/tm1 710\n/tm2 1777\n/tm3 700\n', runc.stderr);
    assert.equal(ocirt.stdout, runc.stdout, ocirt.stderr);
  });

  test('the loopback interface of a new network namespace is up (runc: flags 0x9, UP|LOOPBACK)', () => {
    const { runc, ocirt } = both((c) => (c.process.args = ['/bin/probe', 'cat', '/sys/class/net/lo/flags']));
    assert.equal(runc.stdout.trim(), '0x9', runc.stderr);
    assert.equal(ocirt.stdout.trim(), '0x9', ocirt.stderr);
  });

  test('sysctl kernel.hostname is refused, net.* in the host network namespace too (runc: both refused)', () => {
    const hostname = both((c) => (c.linux.sysctl = { 'kernel.hostname': 'other' }));
    assert.notEqual(hostname.runc.status, 0);
    assert.match(hostname.runc.stderr, /kernel\.hostname.*conflicts/);
    assert.notEqual(hostname.ocirt.status, 0);
    assert.match(hostname.ocirt.stderr, /\/linux\/sysctl\/kernel\.hostname: sysctl "kernel\.hostname" conflicts with the "hostname" field/);
    // the runtime's own network namespace, joined by path: a net.* write would change the host
    const hostNet = `/proc/${process.pid}/ns/net`;
    const before = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const flip = before.trim() === '1' ? '0' : '1';
    const net = both((c) => {
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: hostNet } : n));
      c.linux.sysctl = { 'net.ipv4.ip_forward': flip };
    });
    assert.notEqual(net.runc.status, 0);
    assert.match(net.runc.stderr, /not allowed in host network namespace/);
    assert.notEqual(net.ocirt.status, 0);
    assert.match(net.ocirt.stderr, /\/linux\/sysctl\/net\.ipv4\.ip_forward: .*not allowed in the host's network namespace/);
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), before, 'the host is unchanged');
  });

  test('delete of a created container removes it without --force (runc: exit 0, gone)', () => {
    for (const runtime of [RUNC!, 'ocirt']) {
      const b = makeBundle((c) => (c.process.args = ['/bin/probe', 'sleep', '60']));
      bundles.push(b);
      const id = newId('delc');
      if (runtime === 'ocirt') {
        assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
        assert.equal(r.run(['delete', id]).status, 0, 'ocirt delete');
        assert.notEqual(r.run(['state', id]).status, 0);
        assert.deepEqual(stateDirs(r), []);
      } else {
        const root = mkdtempSync('/tmp/ocirt-other-root-');
        dirs.push(root);
        const run = (args: string[]) => runtimeCommand(RUNC!, root, args);
        assert.equal(run(['create', '-b', b.dir, id]).status, 0);
        assert.equal(run(['delete', id]).status, 0, 'runc delete');
        assert.notEqual(run(['state', id]).status, 0);
      }
    }
  });

  test('a capability the runtime does not hold fails create, not the container after start (runc: create fails, EPERM)', () => {
    const before = hostSnapshot();
    // the runtime without CAP_SYS_RESOURCE, as on this project's machines
    const wrap = ['setpriv', '--bounding-set=-sys_resource', '--inh-caps=-all', '--'];
    for (const runtime of [RUNC!, OCIRT]) {
      const b = makeBundle((c) => {
        c.process.capabilities = Object.fromEntries(
          ['bounding', 'effective', 'permitted'].map((s) => [s, ['CAP_KILL', 'CAP_SYS_RESOURCE']]),
        );
        c.process.args = ['/bin/probe', 'sleep', '60'];
      });
      bundles.push(b);
      const root = mkdtempSync('/tmp/ocirt-other-root-');
      dirs.push(root);
      const id = newId('capc');
      const res = runtimeCommand(runtime, root, ['create', '-b', b.dir, id], wrap);
      assert.notEqual(res.status, 0, `${runtime}: create fails`);
      if (runtime === RUNC) assert.match(res.stderr, /unable to apply caps: operation not permitted/);
      else
        assert.match(
          res.stderr,
          /\/process\/capabilities\/permitted: container init: CAP_SYS_RESOURCE cannot be granted: the runtime itself does not hold it/,
        );
      assert.notEqual(runtimeCommand(runtime, root, ['state', id]).status, 0, `${runtime}: nothing left to see`);
    }
    assert.deepEqual(hostSnapshot().probes, before.probes, 'no process left');
  });

  test('the cwd is entered before dropping privileges (runc: a 0700 /root works for uid 1000)', () => {
    const { runc, ocirt } = both(
      (c) => {
        c.process.cwd = '/root';
        c.process.user = { uid: 1000, gid: 1000 };
        sh('pwd')(c);
      },
      (rootfs) => {
        mkdirSync(join(rootfs, 'root'));
        chmodSync(join(rootfs, 'root'), 0o700);
      },
    );
    assert.equal(runc.stdout, '/root\n', runc.stderr);
    assert.equal(ocirt.stdout, runc.stdout, ocirt.stderr);
  });

  test('a read-only /dev still gets /dev/pts, devices and symlinks (runc: /dev ro, pts mounted)', () => {
    const { runc, ocirt } = both((c) => {
      c.mounts.find((m: { destination: string }) => m.destination === '/dev').options.push('ro');
      sh(
        'grep -c " /dev ro," /proc/self/mountinfo; grep -c " /dev/pts .* - devpts " /proc/self/mountinfo; test -c /dev/null && echo null; touch /dev/x 2>/dev/null || echo read-only',
      )(c);
    });
    assert.equal(runc.stdout, '1\n1\nnull\nread-only\n', runc.stderr);
    assert.equal(ocirt.stdout, runc.stdout, ocirt.stderr);
  });

  test('device cgroup access letters runc ignores are accepted with a warning; a duplicated namespace is refused (runc: the same)', () => {
    const access = both((c) => {
      c.linux.resources = {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwx' },
        ],
      };
      c.process.args = ['/bin/true'];
    });
    assert.equal(access.runc.status, 0, access.runc.stderr);
    assert.equal(access.ocirt.status, 0, access.ocirt.stderr);
    assert.match(access.ocirt.stderr, /access "rwx" has letters other than r, w and m: they are ignored/);
    const empty = both((c) => {
      c.linux.resources = { devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: '' }] };
      c.process.args = ['/bin/true'];
    });
    assert.notEqual(empty.runc.status, 0, 'runc: "device access at 1 field cannot be empty"');
    assert.notEqual(empty.ocirt.status, 0);
    assert.match(empty.ocirt.stderr, /\/linux\/resources\/devices\/0\/access: device cgroup access is empty/);
    const dup = both((c) => {
      c.linux.namespaces.push({ type: 'pid' });
      c.process.args = ['/bin/true'];
    });
    assert.match(dup.runc.stderr, /duplicated ns/);
    assert.notEqual(dup.runc.status, 0);
    assert.notEqual(dup.ocirt.status, 0);
    assert.match(dup.ocirt.stderr, /duplicate pid namespace/);
  });
});
