// linux.namespaces as the container sees them: a time namespace with clock offsets, a cgroup
// namespace rooted at the container's cgroup, every type joined by path (a user namespace first,
// the others owned by it), and the errors for a path that is missing, not a namespace, of another
// type, or not owned by the joined user namespace.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import {
  IS_ROOT,
  PROBE,
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

interface Report {
  uid: number;
  uidMap: string;
  ns: Record<string, string>;
  cgroup: string[];
  clocks: { monotonic: number; boottime: number };
  hostname: string;
  domainname: string;
}

const uptime = (): { monotonic: number; boottime: number } => {
  // CLOCK_MONOTONIC and CLOCK_BOOTTIME of the host, in seconds (no suspend here: they are equal)
  const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return { monotonic: up, boottime: up };
};

/** A process in namespaces of its own (unshare(1)), to be joined by path; waits until they exist. */
async function holder(flags: string[]): Promise<{ pid: number; child: ChildProcess; ns: (t: string) => string }> {
  const child = spawn('unshare', [...flags, '--fork', '--', '/bin/sh', '-c', 'echo ready; exec sleep 300'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`unshare ${flags.join(' ')} exited ${c}`)));
  });
  // unshare --fork: the namespaces' process is unshare's child, the shell that printed "ready"
  const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
  const pid = Number(kids[0]);
  return { pid, child, ns: (t) => `/proc/${pid}/ns/${t}` };
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`${mode}: namespaces`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    const holders: ChildProcess[] = [];
    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
      for (const h of holders) h.kill('SIGKILL');
    });
    const run = (mutate: (c: Config) => void): { status: number | null; stdout: string; stderr: string; report?: Report } => {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/probe', 'report'];
        mutate(c);
      }, user);
      bundles.push(b);
      const res = r.run(['run', '-b', b.dir, newId('ns')]);
      return { ...res, ...(res.status === 0 ? { report: JSON.parse(res.stdout) as Report } : {}) };
    };

    test('time: a new time namespace with monotonic and boottime offsets', () => {
      const host = uptime();
      const res = run((c) => {
        c.linux.namespaces.push({ type: 'time' });
        c.linux.timeOffsets = {
          monotonic: { secs: 86400 },
          boottime: { secs: -Math.min(100, Math.floor(host.boottime) - 1), nanosecs: 5 },
        };
      });
      assert.equal(res.status, 0, res.stderr);
      const inside = res.report!.clocks;
      const after = uptime();
      assert.ok(
        inside.monotonic >= host.monotonic + 86400 - 1 && inside.monotonic <= after.monotonic + 86400 + 1,
        `monotonic ${inside.monotonic} vs host ${host.monotonic}`,
      );
      const off = Math.min(100, Math.floor(host.boottime) - 1);
      assert.ok(
        inside.boottime >= host.boottime - off - 1 && inside.boottime <= after.boottime - off + 1,
        `boottime ${inside.boottime} vs host ${host.boottime}`,
      );
      assert.notEqual(res.report!.ns.time, readlinkSync('/proc/self/ns/time'), 'a time namespace of its own');
      const plain = run((c) => c.linux.namespaces.push({ type: 'time' }));
      assert.equal(plain.status, 0, plain.stderr);
      assert.ok(Math.abs(plain.report!.clocks.monotonic - uptime().monotonic) < 30, "no offsets: the host's clocks");
    });

    test("cgroup: the namespace is rooted at the container's own cgroup", () => {
      const res = run((c) => c.linux.namespaces.push({ type: 'cgroup' }));
      assert.equal(res.status, 0, res.stderr);
      assert.ok(res.report!.cgroup.includes('0::/'), `the unified hierarchy's root is the container's cgroup: ${res.report!.cgroup}`);
    });

    test('uts: hostname and domainname', () => {
      const res = run((c) => {
        c.hostname = 'h1';
        c.domainname = 'example.test';
      });
      assert.equal(res.status, 0, res.stderr);
      assert.deepEqual([res.report!.hostname, res.report!.domainname], ['h1', 'example.test']);
    });

    if (mode === 'root') {
      test('every type joined by path: the container is in those namespaces', async () => {
        const h = await holder(['--net', '--ipc', '--uts', '--mount', '--pid', '--cgroup', '--time', '--propagation', 'private']);
        holders.push(h.child);
        const types: [string, string][] = [
          ['network', 'net'],
          ['ipc', 'ipc'],
          ['uts', 'uts'],
          ['mount', 'mnt'],
          ['pid', 'pid'],
          ['cgroup', 'cgroup'],
          ['time', 'time'],
        ];
        const res = run((c) => {
          c.linux.namespaces = types.map(([type, file]) => ({ type, path: h.ns(file) }));
          delete c.hostname;
        });
        assert.equal(res.status, 0, res.stderr);
        for (const [, file] of types) assert.equal(res.report!.ns[file], readlinkSync(h.ns(file)), `${file} joined`);
      });

      test('a user namespace joined by path first, the others joined in it and created in it', async () => {
        const h = await holder(['--user', '--map-root-user', '--net', '--uts', '--ipc']);
        holders.push(h.child);
        const res = run((c) => {
          c.linux.namespaces = [
            { type: 'user', path: h.ns('user') },
            { type: 'network', path: h.ns('net') },
            { type: 'uts', path: h.ns('uts') },
            { type: 'ipc', path: h.ns('ipc') },
            { type: 'pid' },
            { type: 'mount' },
          ];
          delete c.hostname;
          c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'sysfs');
        });
        assert.equal(res.status, 0, res.stderr);
        for (const t of ['user', 'net', 'uts', 'ipc']) assert.equal(res.report!.ns[t], readlinkSync(h.ns(t)), `${t} joined`);
        assert.notEqual(res.report!.ns.pid, readlinkSync(h.ns('pid')), 'pid created, in the joined user namespace');
      });

      test('a namespace not owned by the joined user namespace is refused, naming both', async () => {
        const h = await holder(['--user', '--map-root-user', '--uts']);
        holders.push(h.child);
        const res = run((c) => {
          c.linux.namespaces = [
            { type: 'user', path: h.ns('user') },
            { type: 'network', path: `/proc/${process.pid}/ns/net` },
            { type: 'mount' },
            { type: 'pid' },
          ];
          delete c.hostname;
        });
        assert.equal(res.status, 1);
        assert.match(
          res.stderr,
          new RegExp(
            `/linux/namespaces/1/path: the network namespace /proc/${process.pid}/ns/net is not owned by the user namespace ${h.ns('user')} \\(/linux/namespaces/0/path\\)`,
          ),
        );
        assert.deepEqual(stateDirs(r), []);
      });

      // runc 1.1.5, the same bundle: runs, in the joined namespaces, root mapped to 100000; as
      // with runc, sysfs and mqueue cannot be mounted from a user namespace that does not own the
      // joined network and ipc namespaces (EPERM): the bundle has neither
      test('namespaces joined by path with a new user namespace: joined first, the user namespace and the rest made after', async () => {
        const h = await holder(['--net', '--uts', '--ipc']);
        holders.push(h.child);
        const res = run((c) => {
          c.linux.namespaces = [
            { type: 'user' },
            { type: 'network', path: h.ns('net') },
            { type: 'uts', path: h.ns('uts') },
            { type: 'ipc', path: h.ns('ipc') },
            { type: 'pid' },
            { type: 'mount' },
          ];
          c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
          c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
          c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'sysfs' && m.type !== 'mqueue');
          delete c.hostname;
        });
        assert.equal(res.status, 0, res.stderr);
        for (const t of ['net', 'uts', 'ipc']) assert.equal(res.report!.ns[t], readlinkSync(h.ns(t)), `${t} joined`);
        assert.notEqual(res.report!.ns.user, readlinkSync('/proc/self/ns/user'), 'a user namespace of its own');
        assert.notEqual(res.report!.ns.pid, readlinkSync('/proc/self/ns/pid'), 'pid created');
        assert.equal(res.report!.uidMap, '0 100000 65536', 'mapped by the runtime');
        assert.equal(res.report!.uid, 0);
        assert.deepEqual(stateDirs(r), []);
      });
    }

    test('a wrong namespace path: missing, not a namespace, or of another type', () => {
      const cases: [string, RegExp][] = [
        ['/proc/999999999/ns/net', /\/linux\/namespaces\/\d+\/path: network namespace \/proc\/999999999\/ns\/net does not exist/],
        ['/etc/hostname', /network namespace \/etc\/hostname is not a namespace file \(expected e\.g\. \/proc\/<pid>\/ns\/net\)/],
        [`/proc/${process.pid}/ns/uts`, new RegExp(`/proc/${process.pid}/ns/uts is a uts namespace, not a network namespace`)],
      ];
      for (const [path, re] of cases) {
        const res = run((c) => {
          c.linux.namespaces = c.linux.namespaces
            .filter((n: { type: string }) => n.type !== 'network' && n.type !== 'user')
            .concat([{ type: 'network', path }]);
          if (mode === 'rootless') {
            c.linux.namespaces.push({ type: 'user' });
          }
        });
        assert.equal(res.status, 1, path);
        assert.match(
          res.stderr,
          mode === 'root' || !path.startsWith('/proc/') || path.includes('999999999') ? re : /\/linux\/namespaces\/\d+\/path: /,
          `${path}: ${res.stderr}`,
        );
        assert.deepEqual(stateDirs(r), [], 'nothing left');
      }
    });
  });
}
