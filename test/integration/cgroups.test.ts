// Resources enforced for real, on the host's kind of cgroups: v1/hybrid here, pure v2 in the QEMU
// guest (npm run test:cgroupv2 runs this same file there). Each limit is checked from inside the
// container (its own /sys/fs/cgroup view) and by what it does to a process: a memory hog is
// OOM-killed and `events` reports it, a fork bomb stops at the pids limit, a CPU loop is
// throttled, a device outside the rules cannot be opened, reads from a throttled loop device
// are slowed; then update, events --stats, pause/resume, ps, kill --all, the cgroup mount and
// namespace, the errors, rootless, and that nothing is left behind.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUSYBOX,
  IS_ROOT,
  OCIRT,
  PROBE,
  RUN_TOKEN,
  hostSnapshot,
  json,
  makeBundle,
  newId,
  runner,
  testUser,
  tokenCgroups,
  type Bundle,
  type Config,
  type Runner,
  type User,
} from '../helpers/containers.ts';
import { readCgroupHost } from '../../src/cgroups/host.ts';
import { DEVICE_PROGRAM_NAME } from '../../src/cgroups/device-bpf.ts';
import { deviceProgramCount } from '../../src/native.ts';

const skip = !IS_ROOT
  ? 'integration tests need root'
  : !existsSync(PROBE)
    ? 'probe not built'
    : !BUSYBOX
      ? 'busybox-static not installed'
      : false;
const host = skip ? undefined : readCgroupHost();
const V2 = host?.mode === 'v2';
const noCgroups = host && host.mode === 'none' ? 'no cgroups mounted on this host' : false;
const hasV1 = (c: string) => host?.v1.some((h) => h.controllers.includes(c)) ?? false;

/** The path of a controller's file as the container sees it under its /sys/fs/cgroup. */
const inside = (ctrl: string, file: string) => (V2 ? `/sys/fs/cgroup/${file}` : `/sys/fs/cgroup/${ctrl}/${file}`);

const APPLETS = ['mv', 'dd', 'seq', 'head', 'mknod', 'timeout', 'time', 'grep', 'echo', 'mkdir', 'touch', 'expr', 'wc', 'tr'];

interface Stored {
  pid: number;
  cgroupPath?: string;
  cgroupV1Paths?: string[];
  cgroupV1Controllers?: string[];
}

describe('cgroups: resources enforced', { skip: skip || noCgroups }, () => {
  let r: Runner;
  const bundles: Bundle[] = [];
  const parents: string[] = [];
  let before0: ReturnType<typeof hostSnapshot>;

  const bundle = (mutate: (c: Config) => void, owner?: User) => {
    const b = makeBundle((c) => {
      c.process.capabilities = {
        bounding: ['CAP_MKNOD', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_DAC_OVERRIDE'],
        effective: ['CAP_MKNOD', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_DAC_OVERRIDE'],
        permitted: ['CAP_MKNOD', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_DAC_OVERRIDE'],
      };
      c.process.noNewPrivileges = false;
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
      // on v2 a cgroup mount shows the container's own cgroup only from inside a cgroup namespace
      // (without one, the whole hierarchy, as runc mounts it): engines always give one there
      if (V2) c.linux.namespaces.push({ type: 'cgroup' });
      mutate(c);
    }, owner);
    for (const a of APPLETS) symlinkSync('busybox', join(b.rootfs, 'bin', a));
    bundles.push(b);
    return b;
  };
  /** A cgroupsPath of the test's own, under a parent that carries the run token (removed after). */
  const cgPath = (id: string) => {
    const parent = `/ocirt-test-${RUN_TOKEN}`;
    if (!parents.includes(parent)) parents.push(parent);
    return `${parent}/${id}`;
  };
  const stored = (id: string) => JSON.parse(readFileSync(join(r.root, id, 'state.json'), 'utf8')) as Stored;
  /** The container's directory for a controller, on the host. */
  const dirOf = (s: Stored, ctrl: string): string => {
    if (V2) return s.cgroupPath!;
    const i = (s.cgroupV1Controllers ?? []).findIndex((k) => k.split(',').includes(ctrl));
    assert.ok(i >= 0, `no ${ctrl} hierarchy in the state`);
    return s.cgroupV1Paths![i];
  };
  const sh = (script: string) => (c: Config) => (c.process.args = ['sh', '-c', script]);
  const runOut = (b: Bundle, id = newId('cg')) => {
    const res = r.run(['run', '-b', b.dir, id], { timeoutMs: 120_000 });
    return { ...res, id };
  };
  const waitFor = async (cond: () => boolean, what: string, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };

  before(() => {
    before0 = hostSnapshot();
    r = runner();
  });
  after(() => {
    r.cleanup();
    for (const b of bundles) b.cleanup();
    for (const p of parents) {
      for (const h of [...(host!.unified ? [host!.unified] : []), ...host!.v1]) {
        try {
          rmdirSync(h.mountPoint + p);
        } catch {
          // never made in this hierarchy
        }
      }
    }
    assert.deepEqual(tokenCgroups(), [], 'every cgroup of this run removed');
    assert.deepEqual(hostSnapshot().probes, before0.probes, 'no container process left');
  });

  test('limits are written where the container sees them (its own /sys/fs/cgroup)', () => {
    const files: [string, string, string][] = V2
      ? [
          ['memory', 'memory.max', '67108864'],
          ['memory', 'memory.low', '33554432'],
          ['pids', 'pids.max', '64'],
          ['cpu', 'cpu.weight', '20'],
          ['cpu', 'cpu.max', '50000 100000'],
          ['cpuset', 'cpuset.cpus', '0'],
          ...(existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB')
            ? [['hugetlb', 'hugetlb.2MB.max', '4194304'] as [string, string, string]]
            : []),
        ]
      : ([
          ['memory', 'memory.limit_in_bytes', '67108864'],
          ['memory', 'memory.soft_limit_in_bytes', '33554432'],
          ['memory', 'memory.memsw.limit_in_bytes', '134217728'],
          ['memory', 'memory.swappiness', '30'],
          ['memory', 'memory.kmem.tcp.limit_in_bytes', '16777216'],
          ['pids', 'pids.max', '64'],
          ['cpu', 'cpu.shares', '512'],
          ['cpu', 'cpu.cfs_quota_us', '50000'],
          ['cpu', 'cpu.cfs_period_us', '100000'],
          ['cpu', 'cpu.cfs_burst_us', '1000'],
          ['cpuset', 'cpuset.cpus', '0'],
          ['cpuset', 'cpuset.mems', '0'],
        ].filter(
          ([c, f]) =>
            hasV1(c) &&
            !(
              f.startsWith('memory.memsw') &&
              !existsSync(`${host!.v1.find((h) => h.controllers.includes('memory'))!.mountPoint}/memory.memsw.limit_in_bytes`)
            ),
        ) as [string, string, string][]);
    const b = bundle((c) => {
      c.linux.resources = {
        memory: { limit: 67108864, reservation: 33554432, ...(V2 ? {} : { swap: 134217728, swappiness: 30, kernelTCP: 16777216 }) },
        pids: { limit: 64 },
        cpu: { shares: 512, quota: 50000, period: 100000, ...(V2 ? {} : { burst: 1000 }), cpus: '0', mems: '0' },
        ...(V2 ? {} : { blockIO: { weight: 500 } }),
        ...(files.some(([c]) => c === 'hugetlb') ? { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] } : {}),
      };
      if (!V2) c.linux.resources.memory.disableOOMKiller = true;
      const extra = V2
        ? ''
        : `; grep oom_kill_disable ${inside('memory', 'memory.oom_control')}; echo "weight=$(cat ${inside('blkio', 'blkio.weight')} ${inside('blkio', 'blkio.bfq.weight')} 2>/dev/null)"`;
      sh(files.map(([ctrl, f]) => `echo "${f}=$(cat ${inside(ctrl, f)})"`).join('; ') + extra)(c);
    });
    const res = runOut(b);
    assert.equal(res.status, 0, res.stderr);
    for (const [, f, v] of files) assert.match(res.stdout, new RegExp(`^${f.replace(/\./g, '\\.')}=${v}$`, 'm'), `${f} in:\n${res.stdout}`);
    if (!V2) {
      assert.match(res.stdout, /^oom_kill_disable 1$/m, 'disableOOMKiller');
      assert.match(res.stdout, /^weight=500$/m, 'blkio weight (blkio.weight, or blkio.bfq.weight under BFQ)');
    }
  });

  test('a memory hog is OOM-killed under its memory limit, and events reports the oom; 4 MB still runs /bin/true', async () => {
    const id = newId('oom');
    const b = bundle((c) => {
      c.linux.resources = { memory: { limit: 16 * 1024 * 1024, ...(V2 ? { swap: 16 * 1024 * 1024 } : {}) } };
      if (!V2 && existsSync(`${host!.v1.find((h) => h.controllers.includes('memory'))?.mountPoint}/memory.memsw.limit_in_bytes`))
        c.linux.resources.memory.swap = 16 * 1024 * 1024;
      sh('sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd=$?"; sleep 1')(c);
    });
    assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
    // events has read the counters once it prints its first stats line (a fixed delay is not
    // enough under a loaded emulated guest: an oom before that read would count as old)
    const child = r.spawnRun(['events', '--interval', '300ms', id]);
    let stdout = '';
    const firstStats = new Promise<void>((res) =>
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d;
        if (stdout.includes('"stats"')) res();
      }),
    );
    const exited = new Promise<number | null>((res) => child.on('close', res)); // close: stdout drained too
    await Promise.race([firstStats, exited]);
    assert.equal(r.run(['start', id]).status, 0);
    const ev = { status: await exited, stdout };
    assert.equal(ev.status, 0, 'events exits 0 when the container stops');
    const lines = ev.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; id: string });
    assert.ok(
      lines.some((l) => l.type === 'oom' && l.id === id),
      `an oom event in:\n${ev.stdout.slice(0, 2000)}`,
    );
    assert.ok(
      lines.some((l) => l.type === 'stats'),
      'stats every interval meanwhile',
    );
    assert.equal(r.run(['delete', id]).status, 0);

    const tiny = bundle((c) => {
      c.linux.resources = { memory: { limit: 4 * 1024 * 1024 } };
      c.process.args = ['/bin/true'];
    });
    const t = runOut(tiny);
    assert.equal(t.status, 0, `a container under a 4 MB memory limit runs /bin/true: ${t.stderr}`);
  });

  test('a fork bomb stops at the pids limit', () => {
    const b = bundle((c) => {
      c.linux.resources = { pids: { limit: 8 } };
      // the bomb in a child shell (busybox sh exits when a fork fails); then only builtins: no fork needed at the limit
      sh(
        `sh -c 'for i in $(seq 30); do sleep 60 & done' 2>/dev/null; read cur < ${inside('pids', 'pids.current')}; echo "current=$cur"; while read l; do echo "$l"; done < ${inside('pids', 'pids.events')}`,
      )(c);
    });
    const res = runOut(b);
    assert.equal(res.status, 0, res.stderr);
    const current = Number(/current=(\d+)/.exec(res.stdout)?.[1]);
    assert.ok(current <= 8 && current >= 2, `pids.current ${current} stays within the limit:\n${res.stdout}`);
    assert.ok(Number(/max (\d+)/.exec(res.stdout)?.[1]) > 0, `pids.events counts refused forks:\n${res.stdout}`);
  });

  test('a CPU loop is throttled by the quota', () => {
    const b = bundle((c) => {
      c.linux.resources = { cpu: { quota: 10000, period: 100000 } };
      sh(`timeout 1 sh -c 'while :; do :; done'; cat ${inside('cpu', 'cpu.stat')}`)(c);
    });
    const res = runOut(b);
    assert.ok(res.status === 0 || res.status === 143, res.stderr);
    assert.ok(Number(/nr_throttled (\d+)/.exec(res.stdout)?.[1]) > 0, `throttled periods in cpu.stat:\n${res.stdout}`);
  });

  test('device rules: /dev/null is allowed, a device outside the rules (made by the config or by mknod) is not', () => {
    const probe = `exec 3<>/dev/null && echo null=ok; (exec 3<>/dev/fuse && echo fuse=ok) 2>&1; mknod /dev/made c 10 229 && (exec 3<>/dev/made && echo made=ok) 2>&1; true`;
    const denied = bundle((c) => {
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }];
      c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
      sh(probe)(c);
    });
    const d = runOut(denied);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /^null=ok$/m);
    assert.doesNotMatch(d.stdout, /fuse=ok|made=ok/);
    assert.equal((d.stdout.match(/Operation not permitted/g) ?? []).length, 2, d.stdout);

    const allowed = bundle((c) => {
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }];
      c.linux.resources = {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
        ],
      };
      sh(probe)(c);
    });
    const a = runOut(allowed);
    assert.match(a.stdout, /^fuse=ok$/m, a.stdout + a.stderr);
    assert.match(a.stdout, /^made=ok$/m);
  });

  test('reads from a throttled loop device are slowed to the limit', {
    skip: !existsSync('/usr/sbin/losetup') && 'losetup not installed',
  }, () => {
    const img = join(mkdtempSync('/tmp/ocirt-blk-'), 'disk.img');
    writeFileSync(img, Buffer.alloc(4 * 1024 * 1024));
    const dev = execFileSync('/usr/sbin/losetup', ['-f', '--show', img], { encoding: 'utf8' }).trim();
    try {
      const minor = Number(/loop(\d+)$/.exec(dev)![1]);
      const rate = 1024 * 1024;
      const b = bundle((c) => {
        c.linux.devices = [{ path: '/dev/testblk', type: 'b', major: 7, minor, fileMode: 0o600 }];
        c.linux.resources = {
          blockIO: { throttleReadBpsDevice: [{ major: 7, minor, rate }] },
          devices: [{ allow: true, type: 'b', major: 7, minor, access: 'r' }],
        };
        const limitFile = V2 ? inside('io', 'io.max') : inside('blkio', 'blkio.throttle.read_bps_device');
        sh(`cat ${limitFile}; time sh -c 'dd if=/dev/testblk of=/dev/null bs=64k count=32 iflag=direct 2>/dev/null'`)(c);
      });
      const res = runOut(b);
      assert.equal(res.status, 0, res.stderr);
      assert.match(res.stdout, V2 ? new RegExp(`^7:${minor} rbps=${rate} `, 'm') : new RegExp(`^7:${minor} ${rate}$`, 'm'));
      // 2 MiB at 1 MiB/s: the throttle makes it take about 2 s (a lower bound: load only adds)
      const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(res.stderr);
      assert.ok(m, `time's report in: ${res.stderr}`);
      const secs = Number(m![1]) * 60 + Number(m![2]);
      assert.ok(secs >= 1.4, `2 MiB read at 1 MiB/s took ${secs} s`);
    } finally {
      execFileSync('/usr/sbin/losetup', ['-d', dev]);
      rmSync(join(img, '..'), { recursive: true, force: true });
    }
  });

  test('update changes the limits and device rules of a running container', async () => {
    const out = mkdtempSync('/tmp/ocirt-upd-');
    chmodSync(out, 0o777);
    const id = newId('upd');
    const b = bundle((c) => {
      c.linux.cgroupsPath = cgPath(id);
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }];
      c.linux.resources = {
        memory: { limit: 100 * 1024 * 1024 },
        pids: { limit: 50 },
        cpu: { quota: 20000, period: 100000 },
        devices: [{ allow: false, access: 'rwm' }],
      };
      c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
      // a failed redirection ends the subshell: its status says whether /dev/fuse could be opened
      sh(
        `while :; do if (exec 3<>/dev/fuse) 2>/dev/null; then echo ok; else echo denied; fi > /out/fuse.tmp; mv /out/fuse.tmp /out/fuse; cat ${inside('pids', 'pids.max')} > /out/pids.tmp; mv /out/pids.tmp /out/pids; sleep 0.1; done`,
      )(c);
    });
    mkdirSync(join(b.rootfs, 'out'));
    const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8').trim() : '');
    try {
      assert.equal(r.run(['run', '-d', '-b', b.dir, id]).status, 0);
      await waitFor(() => read('fuse') === 'denied' && read('pids') === '50', 'the first report');
      const res = r.run(['update', '--memory', '200m', '--pids-limit', '20', '--cpu-quota', '30000', id]);
      assert.equal(res.status, 0, res.stderr);
      await waitFor(() => read('pids') === '20', 'the container to see pids.max 20');
      const s = stored(id);
      const cat = (ctrl: string, f: string) => readFileSync(join(dirOf(s, ctrl), f), 'utf8').trim();
      if (V2) {
        assert.equal(cat('memory', 'memory.max'), String(200 * 1024 * 1024));
        assert.equal(cat('cpu', 'cpu.max'), '30000 100000', 'the period is kept');
      } else {
        assert.equal(cat('memory', 'memory.limit_in_bytes'), String(200 * 1024 * 1024));
        assert.equal(cat('cpu', 'cpu.cfs_quota_us'), '30000');
        assert.equal(cat('cpu', 'cpu.cfs_period_us'), '100000');
      }
      // new device rules from a resources file: the running container can open /dev/fuse now
      const rf = join(out, 'res.json');
      writeFileSync(
        rf,
        JSON.stringify({
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
          ],
        }),
      );
      assert.equal(r.run(['update', '-r', rf, id]).status, 0);
      await waitFor(() => read('fuse') === 'ok', 'the container to open /dev/fuse after the update');
      if (V2) assert.equal(deviceProgramCount(s.cgroupPath!, DEVICE_PROGRAM_NAME), 1, 'the device program was replaced, not added to');
      // the limits set before are untouched by a devices-only update
      assert.equal(read('pids'), '20');
      // checkBeforeUpdate: a limit below what the container uses now is refused, the container lives on
      writeFileSync(rf, JSON.stringify({ memory: { limit: 4096, checkBeforeUpdate: true } }));
      const below = r.run(['update', '-r', rf, id]);
      assert.equal(below.status, 1);
      assert.match(
        below.stderr,
        /cannot set \/linux\/resources\/memory\/limit to 4096: the container uses \d+ bytes now \(checkBeforeUpdate\)/,
      );
      assert.equal((json(r.run(['state', id])) as { status: string }).status, 'running');
      // bad input: a clear error, nothing changed
      writeFileSync(rf, '{"pids": {"limit": "many"}}');
      const bad = r.run(['update', '-r', rf, id]);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /\/pids\/limit: expected an integer/);
      const badFlag = r.run(['update', '--memory', 'lots', id]);
      assert.match(badFlag.stderr, /--memory: invalid size "lots"/);
      assert.equal(read('pids'), '20');
    } finally {
      r.run(['delete', '-f', id]);
      rmSync(out, { recursive: true, force: true });
    }
    assert.match(r.run(['update', '--pids-limit', '5', id]).stderr, /does not exist/);
  });

  test('events --stats: the numbers move as the container works', async () => {
    const id = newId('st');
    const b = bundle((c) => {
      c.linux.resources = { pids: { limit: 100 } };
      sh('sleep 1; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000')(c);
    });
    try {
      assert.equal(r.run(['run', '-d', '-b', b.dir, id]).status, 0);
      type S = {
        type: string;
        id: string;
        data: { cpu: { usage: { total?: number } }; memory: { usage: { usage?: number } }; pids: { current?: number; limit?: number } };
      };
      const snap = () => {
        const res = r.run(['events', '--stats', id]);
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout.split('\n').filter(Boolean).length, 1, 'exactly one object');
        return JSON.parse(res.stdout) as S;
      };
      const first = snap();
      assert.equal(first.type, 'stats');
      assert.equal(first.id, id);
      assert.ok((first.data.memory.usage.usage ?? 0) > 0, 'memory in use');
      assert.equal(first.data.pids.limit, 100);
      assert.ok((first.data.pids.current ?? 0) >= 1);
      await new Promise((res) => setTimeout(res, 3000));
      const second = snap();
      assert.ok(
        (second.data.cpu.usage.total ?? 0) > (first.data.cpu.usage.total ?? 0),
        `cpu usage grows: ${first.data.cpu.usage.total} -> ${second.data.cpu.usage.total}`,
      );
    } finally {
      r.run(['delete', '-f', id]);
    }
    assert.equal(r.run(['events', '--stats', id]).status, 1);
  });

  test('pause freezes every process and state says paused; resume thaws; a paused container can be killed and deleted', async () => {
    const out = mkdtempSync('/tmp/ocirt-pause-');
    chmodSync(out, 0o777);
    const b = bundle((c) => {
      c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
      sh('i=0; sleep 1000 & while :; do i=$((i+1)); echo $i > /out/n; sleep 0.05; done')(c);
    });
    mkdirSync(join(b.rootfs, 'out'));
    const n = () => Number(existsSync(join(out, 'n')) ? readFileSync(join(out, 'n'), 'utf8') : 0);
    const status = (id: string) => (json(r.run(['state', id])) as { status: string }).status;
    const [a, k, d] = [newId('pa'), newId('pk'), newId('pd')];
    try {
      assert.equal(r.run(['run', '-d', '-b', b.dir, a]).status, 0);
      await waitFor(() => n() > 2, 'the counter to run');
      assert.equal(r.run(['pause', a]).status, 0);
      assert.equal(status(a), 'paused');
      const frozenAt = n();
      await new Promise((res) => setTimeout(res, 600));
      assert.equal(n(), frozenAt, 'no process runs while paused');
      assert.match(r.run(['pause', a]).stderr, /not running or created/);
      assert.equal(r.run(['resume', a]).status, 0);
      assert.equal(status(a), 'running');
      await waitFor(() => n() > frozenAt, 'the counter to go on after resume');
      assert.match(r.run(['resume', a]).stderr, /not paused/);

      assert.equal(r.run(['run', '-d', '-b', b.dir, k]).status, 0);
      assert.equal(r.run(['pause', k]).status, 0);
      assert.equal(r.run(['kill', k, 'KILL']).status, 0);
      await waitFor(() => status(k) === 'stopped', 'the paused container to die of SIGKILL');
      assert.equal(r.run(['delete', k]).status, 0);

      assert.equal(r.run(['run', '-d', '-b', b.dir, d]).status, 0);
      assert.equal(r.run(['pause', d]).status, 0);
      const cgs = [stored(d).cgroupPath, ...(stored(d).cgroupV1Paths ?? [])].filter((x): x is string => !!x);
      assert.equal(r.run(['delete', '--force', d]).status, 0);
      for (const cg of cgs) assert.equal(existsSync(cg), false, `${cg} removed`);
    } finally {
      for (const id of [a, k, d]) r.run(['delete', '-f', id]);
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("ps lists the container's processes (json for containerd, ps(1) table with its options); kill --all reaches all of them", async () => {
    const id = newId('ps');
    const b = bundle(sh('sleep 1000 & sleep 1001 & wait'));
    try {
      assert.equal(r.run(['run', '-d', '-b', b.dir, id]).status, 0);
      let pids: number[] = [];
      await waitFor(() => (pids = json<number[]>(r.run(['ps', '-f', 'json', id]))).length === 3, 'the init and its two sleeps');
      assert.ok(pids.includes(stored(id).pid), 'the init is listed by its host pid');
      const table = r.run(['ps', id]);
      assert.match(table.stdout, /^UID\s+PID\s+PPID/);
      assert.match(table.stdout, /sleep 1001/);
      assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);
      const cols = r.run(['ps', id, '-o', 'pid,args']);
      assert.match(cols.stdout, /^\s*PID COMMAND/);
      assert.match(cols.stdout, new RegExp(`^\\s*${pids[1]} `, 'm'));
      assert.equal(r.run(['kill', '--all', id, 'KILL']).status, 0);
      await waitFor(() => json<number[]>(r.run(['ps', '-f', 'json', id])).length === 0, 'every process gone');
      assert.equal(r.run(['kill', '--all', id, 'KILL']).status, 0, 'kill --all of a stopped container succeeds (runc)');
    } finally {
      r.run(['delete', '-f', id]);
    }
  });

  test("the container's /sys/fs/cgroup and cgroup namespace are rooted at its own cgroup", () => {
    const b = bundle((c) => {
      if (!c.linux.namespaces.some((n: { type: string }) => n.type === 'cgroup')) c.linux.namespaces.push({ type: 'cgroup' });
      sh('cat /proc/self/cgroup; ls /sys/fs/cgroup; grep " /sys/fs/cgroup" /proc/self/mountinfo')(c);
    });
    const res = runOut(b);
    assert.equal(res.status, 0, res.stderr);
    const cgroupLines = res.stdout.split('\n').filter((l) => /^\d+:[^:]*:/.test(l));
    assert.ok(cgroupLines.length > 0);
    for (const l of cgroupLines) assert.match(l, /:\/$/, `rooted at the container's cgroup: ${l}`);
    if (V2) {
      assert.match(res.stdout, /^cgroup\.controllers$/m, 'a cgroup2 mount');
    } else {
      for (const h of host!.v1)
        assert.match(
          res.stdout,
          new RegExp(
            `^${h.mountPoint
              .split('/')
              .pop()!
              .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
            'm',
          ),
          `hierarchy ${h.key} shown`,
        );
      assert.doesNotMatch(res.stdout, /^unified$/m, "the hybrid host's controller-less v2 mount is not shown (as runc)");
      assert.match(res.stdout, / \/sys\/fs\/cgroup\/memory ro,/, 'read-only as the mount asks');
    }
  });

  test('errors: a resource that cannot be applied here, a frozen cgroup; a non-empty one is warned about; nothing left behind', () => {
    const before = hostSnapshot();
    const cases: [string, (c: Config) => void, RegExp][] = V2
      ? [
          [
            'realtime on v2',
            (c) => (c.linux.resources = { cpu: { realtimeRuntime: 1000 } }),
            /realtimeRuntime: cgroup v2 has no realtime CPU budget/,
          ],
          [
            'bad unified key',
            (c) => (c.linux.resources = { unified: { 'memory/../x': '1' } }),
            /unified key "memory\/\.\.\/x" is not a cgroup v2 file name/,
          ],
          [
            'unknown unified file',
            (c) => (c.linux.resources = { unified: { 'memory.nonexistent': '1' } }),
            /cannot apply \/linux\/resources\/unified\/memory\.nonexistent: this kernel has no memory\.nonexistent in/,
          ],
        ]
      : [
          [
            'unified on a v1 host',
            (c) => (c.linux.resources = { unified: { 'memory.high': '1' } }),
            /unified: cgroup v2 files cannot be set on a host whose controllers are cgroup v1/,
          ],
          ...(!hasV1('hugetlb')
            ? [
                [
                  'hugetlb without a hierarchy',
                  (c: Config) => (c.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] }),
                  /hugepageLimits\/0: no cgroup v1 hierarchy has the hugetlb controller/,
                ] as [string, (c: Config) => void, RegExp],
              ]
            : []),
          ...(!hasV1('net_cls')
            ? [
                [
                  'net_cls without a hierarchy',
                  (c: Config) => (c.linux.resources = { network: { classID: 1 } }),
                  /network\/classID: no cgroup v1 hierarchy has the net_cls controller/,
                ] as [string, (c: Config) => void, RegExp],
              ]
            : []),
        ];
    for (const [name, mutate, expect] of cases) {
      const res = runOut(bundle(mutate));
      assert.equal(res.status, 1, `${name}: ${res.stdout}`);
      assert.match(res.stderr, expect, name);
    }
    // an existing cgroup that is frozen is refused; one with processes in it is warned about
    const id = newId('pre');
    const path = cgPath(id);
    const freezerDir = V2 ? host!.unified!.mountPoint + path : host!.v1.find((h) => h.controllers.includes('freezer'))?.mountPoint + path;
    mkdirSync(freezerDir, { recursive: true });
    writeFileSync(join(freezerDir, V2 ? 'cgroup.freeze' : 'freezer.state'), V2 ? '1' : 'FROZEN');
    const frozen = runOut(
      bundle((c) => {
        c.linux.cgroupsPath = path;
        c.process.args = ['/bin/true'];
      }),
    );
    assert.equal(frozen.status, 1);
    assert.match(frozen.stderr, /already exists and is frozen/);
    writeFileSync(join(freezerDir, V2 ? 'cgroup.freeze' : 'freezer.state'), V2 ? '0' : 'THAWED');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const squatter = String(child.pid);
    writeFileSync(join(freezerDir, 'cgroup.procs'), squatter);
    try {
      const shared = runOut(
        bundle((c) => {
          c.linux.cgroupsPath = path;
          c.process.args = ['/bin/true'];
        }),
      );
      assert.equal(shared.status, 0, shared.stderr);
      assert.match(shared.stderr, new RegExp(`already has 1 process\\(es\\) \\(${squatter}\\)`));
    } finally {
      // if still there (delete kills what it finds in the cgroups it removes)
      child.kill('SIGKILL');
    }
    const afterSnap = hostSnapshot();
    assert.deepEqual(afterSnap.probes, before.probes);
    assert.deepEqual(afterSnap.mounts, before.mounts);
    const mine = (l: string[]) => l.filter((p) => !p.includes(`ocirt-test-${RUN_TOKEN}`));
    assert.deepEqual(mine(afterSnap.cgroups), mine(before.cgroups), 'no container cgroup left');
  });

  test('delete removes every cgroup directory the container had, in every hierarchy', () => {
    const id = newId('del');
    const b = bundle((c) => {
      c.linux.resources = { pids: { limit: 10 } };
      sh('sleep 1000')(c);
    });
    assert.equal(r.run(['run', '-d', '-b', b.dir, id]).status, 0);
    const s = stored(id);
    const dirs = [s.cgroupPath, ...(s.cgroupV1Paths ?? [])].filter((x): x is string => !!x);
    assert.equal(dirs.length, (host!.unified ? 1 : 0) + host!.v1.length, 'a directory in each hierarchy (every v1 one is joined)');
    for (const d of dirs) assert.ok(readFileSync(join(d, 'cgroup.procs'), 'utf8').includes(String(s.pid)), `the init is in ${d}`);
    assert.equal(r.run(['delete', '-f', id]).status, 0);
    for (const d of dirs) assert.equal(existsSync(d), false, `${d} removed`);
  });
});

describe('cgroups: rootless', { skip: skip || noCgroups }, () => {
  let user: User;
  let r: Runner;
  const bundles: Bundle[] = [];
  before(() => {
    user = testUser();
    r = runner(user);
  });
  after(() => {
    r.cleanup();
    for (const b of bundles) b.cleanup();
  });
  const bundle = (mutate: (c: Config) => void) => {
    const b = makeBundle(mutate, user);
    bundles.push(b);
    return b;
  };

  test('without a delegated cgroup: no limits asked runs with one warning; limits asked, or a cgroupsPath, fail with "permission denied"', () => {
    const plain = r.run(['run', '-b', bundle((c) => (c.process.args = ['/bin/true'])).dir, newId('rl')]);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal((plain.stderr.match(/no permission to create cgroup/g) ?? []).length, 1, `one warning: ${plain.stderr}`);
    // device rules are not for a rootless container to set (runc skips them): no error
    const devices = r.run([
      'run',
      '-b',
      bundle((c) => {
        c.process.args = ['/bin/true'];
        c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
      }).dir,
      newId('rl'),
    ]);
    assert.equal(devices.status, 0, devices.stderr);
    const limits = r.run([
      'run',
      '-b',
      bundle((c) => {
        c.process.args = ['/bin/true'];
        c.linux.resources = { pids: { limit: 10 } };
      }).dir,
      newId('rl'),
    ]);
    assert.equal(limits.status, 1);
    assert.match(limits.stderr, /cannot apply \/linux\/resources\/pids\/limit: create cgroup \S+: permission denied/);
    const path = r.run([
      'run',
      '-b',
      bundle((c) => {
        c.process.args = ['/bin/true'];
        c.linux.cgroupsPath = `/ocirt-test-${RUN_TOKEN}/rl`;
      }).dir,
      newId('rl'),
    ]);
    assert.equal(path.status, 1);
    assert.match(path.stderr, /create cgroup \S+: permission denied/);
    assert.deepEqual(tokenCgroups(), []);
  });

  test("with a delegated cgroup (as systemd's Delegate= gives one) the limits apply", () => {
    // root delegates a subtree in every hierarchy to the user, and starts ocirt in a leaf of it
    // (cgroup2 lets no process live in a cgroup that delegates controllers: systemd's layout too)
    const deleg = `/ocirt-test-${RUN_TOKEN}-deleg`;
    const hierarchies = [...(host!.unified ? [host!.unified] : []), ...host!.v1];
    const made: string[] = [];
    const give = (h: (typeof hierarchies)[number], dir: string) => {
      mkdirSync(dir);
      made.push(dir);
      if (h.controllers.includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, f), readFileSync(join(h.mountPoint, f), 'utf8').trim());
      }
      for (const f of ['', 'cgroup.procs', ...(h.key === '' ? ['cgroup.subtree_control', 'cgroup.threads'] : ['tasks'])]) {
        const p = f ? join(dir, f) : dir;
        if (existsSync(p)) execFileSync('chown', [`${user.uid}:${user.gid}`, p]);
      }
    };
    for (const h of hierarchies) {
      give(h, h.mountPoint + deleg);
      if (h.key === '')
        writeFileSync(
          join(h.mountPoint + deleg, 'cgroup.subtree_control'),
          readFileSync(join(h.mountPoint + deleg, 'cgroup.controllers'), 'utf8')
            .trim()
            .split(/\s+/)
            .filter(Boolean)
            .map((c) => `+${c}`)
            .join(' '),
        );
      give(h, `${h.mountPoint}${deleg}/launcher`);
    }
    const id = newId('deleg');
    const b = bundle((c) => {
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
      if (V2) c.linux.namespaces.push({ type: 'cgroup' });
      c.linux.cgroupsPath = `${deleg}/${id}`;
      c.linux.resources = { pids: { limit: 4 } };
      c.process.args = [
        'sh',
        '-c',
        `sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 30 & done' 2>/dev/null; read cur < ${V2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/pids'}/pids.current; echo "current=$cur"; cat /proc/self/cgroup`,
      ];
    });
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: `/home/${user.name}` };
      delete env.XDG_RUNTIME_DIR;
      const procs = hierarchies.map((h) => `${h.mountPoint}${deleg}/launcher/cgroup.procs`).join(' ');
      const res = spawnSync(
        'sh',
        [
          '-c',
          `for f in ${procs}; do echo $$ > $f; done; exec "$@"`,
          'sh',
          'setpriv',
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          '--init-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          OCIRT,
          '--root',
          r.root,
          'run',
          '-b',
          b.dir,
          id,
        ],
        { encoding: 'utf8', env, timeout: 60_000 },
      );
      assert.equal(res.status, 0, res.stderr);
      assert.doesNotMatch(res.stderr, /no permission/, 'every cgroup of the container could be made');
      assert.ok(Number(/current=(\d+)/.exec(res.stdout)?.[1]) <= 4, `pids.current within the delegated limit:\n${res.stdout}`);
      const lines = res.stdout.split('\n').filter((x) => /^\d+:/.test(x));
      assert.ok(lines.length > 0);
      // in its own cgroup in the delegated subtree (the cgroup namespace on v2 shows it as "/")
      for (const l of lines) assert.ok(l.endsWith(V2 ? '::/' : `${deleg}/${id}`), `in its own cgroup in the delegated subtree: ${l}`);
      // from outside the delegated subtree the caller may make a directory there but not move a
      // process in (cgroup2 wants the common ancestor's cgroup.procs writable): refused up front
      const outside = r.run([
        'run',
        '-b',
        bundle((c) => {
          c.process.args = ['/bin/true'];
          c.linux.cgroupsPath = `${deleg}/outside`;
        }).dir,
        newId('deleg'),
      ]);
      assert.equal(outside.status, 1);
      assert.match(outside.stderr, /create cgroup \S+: permission denied/);
    } finally {
      r.run(['delete', '-f', id]);
      for (const dir of made.reverse()) {
        try {
          rmdirSync(dir);
        } catch {
          // reported by the leak check
        }
      }
    }
    assert.deepEqual(tokenCgroups(), []);
  });

  test('ps and pause of a container without a cgroup of its own', () => {
    const id = newId('rlps');
    const b = bundle((c) => (c.process.args = ['/bin/probe', 'sleep', '60']));
    try {
      assert.equal(r.run(['run', '-d', '-b', b.dir, id]).status, 0);
      const st = json<{ pid: number }>(r.run(['state', id]));
      assert.deepEqual(json<number[]>(r.run(['ps', '-f', 'json', id])), [st.pid]);
      assert.match(r.run(['pause', id]).stderr, /no freezer/);
    } finally {
      r.run(['delete', '-f', id]);
    }
  });
});
