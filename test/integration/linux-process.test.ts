// process and linux fields that shape the container's process, seen from inside it by the probe:
// scheduler, I/O priority, personality, memory policy, every rlimit, the capability sets, HOME,
// the cwd. Root and rootless, as far as the kernel allows each without privileges on the host.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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
  env: string[];
  cwd: string;
  machine: string;
  caps: Record<string, string>;
  rlimits: Record<string, { soft: string; hard: string }>;
  sched: { policy: number; flags: number; nice: number; priority: number; runtime: number; deadline: number; period: number } | null;
  ioprio: number;
  personality: number;
  mempolicy: { mode: number; nodes: number };
}

/** The test process's own hard limits, by RLIMIT_ name: a container may be given at most these. */
function hostHardLimits(): Record<string, string> {
  const names: Record<string, string> = {
    'Max cpu time': 'RLIMIT_CPU',
    'Max file size': 'RLIMIT_FSIZE',
    'Max data size': 'RLIMIT_DATA',
    'Max stack size': 'RLIMIT_STACK',
    'Max core file size': 'RLIMIT_CORE',
    'Max resident set': 'RLIMIT_RSS',
    'Max processes': 'RLIMIT_NPROC',
    'Max open files': 'RLIMIT_NOFILE',
    'Max locked memory': 'RLIMIT_MEMLOCK',
    'Max address space': 'RLIMIT_AS',
    'Max file locks': 'RLIMIT_LOCKS',
    'Max pending signals': 'RLIMIT_SIGPENDING',
    'Max msgqueue size': 'RLIMIT_MSGQUEUE',
    'Max nice priority': 'RLIMIT_NICE',
    'Max realtime priority': 'RLIMIT_RTPRIO',
    'Max realtime timeout': 'RLIMIT_RTTIME',
  };
  const out: Record<string, string> = {};
  for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
    const name = Object.keys(names).find((n) => line.startsWith(n));
    if (name) out[names[name]] = line.slice(26).trim().split(/\s+/)[1];
  }
  return out;
}

/** RLIM_INFINITY as JSON.parse reads it (2^64) */
const U64_MAX = 2 ** 64;
/**
 * config.json as Go (engines, runc's tools) writes RLIM_INFINITY: JSON.stringify writes the double
 * 2^64 as 18446744073709552000, which no uint64 holds (runc refuses it too).
 */
const exactInfinity = (text: string) => text.replaceAll('18446744073709552000', '18446744073709551615');

for (const mode of ['root', 'rootless'] as const) {
  describe(`${mode}: process settings`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    const bundle = (mutate: (c: Config) => void) => {
      const b = makeBundle(mutate, user);
      bundles.push(b);
      return b;
    };
    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
    });
    const report = (mutate: (c: Config) => void, edit?: (configText: string) => string): Report => {
      const b = bundle((c) => {
        c.process.args = ['/bin/probe', 'report'];
        mutate(c);
      });
      if (edit) writeFileSync(join(b.dir, 'config.json'), edit(readFileSync(join(b.dir, 'config.json'), 'utf8')));
      const res = r.run(['run', '-b', b.dir, newId('proc')]);
      assert.equal(res.status, 0, res.stderr);
      return JSON.parse(res.stdout) as Report;
    };
    const fails = (mutate: (c: Config) => void, re: RegExp): void => {
      const b = bundle((c) => {
        c.process.args = ['/bin/probe', 'report'];
        mutate(c);
      });
      const id = newId('procfail');
      const res = r.run(['create', '-b', b.dir, id]);
      assert.equal(res.status, 1, `create fails: ${res.stdout}`);
      assert.match(res.stderr, re);
      assert.deepEqual(stateDirs(r), [], 'nothing left');
    };

    test('scheduler: policy, nice, priority and flags (sched_getattr inside)', () => {
      if (mode === 'root') {
        // With RT group scheduling (a v1 cpu controller with cpu.rt_runtime_us) a cgroup has no
        // real-time budget of its own: the kernel refuses a real-time policy there (EPERM), for
        // runc too, unless linux.resources.cpu.realtimeRuntime gives it one (its parent, here the
        // root cgroup, must have one to give).
        const rtGroups = existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us');
        const realtime = (c: Config) => {
          if (!rtGroups) return;
          c.linux.cgroupsPath = `/${newId('rt')}`;
          c.linux.resources = { ...c.linux.resources, cpu: { realtimeRuntime: 10000, realtimePeriod: 1000000 } };
        };
        if (rtGroups)
          fails(
            (c) => (c.process.scheduler = { policy: 'SCHED_FIFO', priority: 10 }),
            /\/process\/scheduler: container init: set the scheduling policy sched_setattr: EPERM.*realtimeRuntime/,
          );
        const rep = report((c) => {
          c.process.scheduler = { policy: 'SCHED_FIFO', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
          realtime(c);
        });
        assert.deepEqual([rep.sched?.policy, rep.sched?.priority, rep.sched?.flags], [1, 10, 1]);
        const rr = report((c) => {
          c.process.scheduler = { policy: 'SCHED_RR', priority: 3 };
          realtime(c);
        });
        assert.deepEqual([rr.sched?.policy, rr.sched?.priority], [2, 3]);
        const other = report((c) => (c.process.scheduler = { policy: 'SCHED_OTHER', nice: -5 }));
        assert.deepEqual([other.sched?.policy, other.sched?.nice], [0, -5], 'a lower nice value needs CAP_SYS_NICE, which root has');
      } else {
        // an unprivileged user may only lower its priority
        fails(
          (c) => (c.process.scheduler = { policy: 'SCHED_FIFO', priority: 10 }),
          /\/process\/scheduler: container init: set the scheduling policy sched_setattr: EPERM.*CAP_SYS_NICE/,
        );
      }
      const batch = report((c) => (c.process.scheduler = { policy: 'SCHED_BATCH', nice: 10 }));
      assert.deepEqual([batch.sched?.policy, batch.sched?.nice], [3, 10]);
      const idle = report((c) => (c.process.scheduler = { policy: 'SCHED_IDLE' }));
      assert.equal(idle.sched?.policy, 5);
      const none = report(() => {});
      assert.equal(none.sched?.policy, 0, 'no scheduler: SCHED_OTHER, as inherited');
    });

    test('ioPriority: class and level (ioprio_get inside)', () => {
      const be = report((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 7 }));
      assert.equal(be.ioprio, (2 << 13) | 7);
      const idle = report((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }));
      assert.equal(idle.ioprio, 3 << 13);
      if (mode === 'root') {
        const rt = report((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 4 }));
        assert.equal(rt.ioprio, (1 << 13) | 4);
      } else {
        fails(
          (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 4 }),
          /\/process\/ioPriority: container init: set the I\/O priority ioprio_set: EPERM/,
        );
      }
    });

    test('personality: LINUX32 shows a 32-bit machine, flags are applied', () => {
      const rep = report((c) => (c.linux.personality = { domain: 'LINUX32', flags: ['ADDR_NO_RANDOMIZE'] }));
      assert.equal(rep.machine, 'i686');
      assert.equal(rep.personality, 0x0008 | 0x0040000);
      const linux = report((c) => (c.linux.personality = { domain: 'LINUX' }));
      assert.equal(linux.machine, 'x86_64');
      assert.equal(linux.personality, 0);
    });

    test('memoryPolicy: mode, flags and nodes (get_mempolicy inside)', () => {
      const bind = report((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }));
      assert.deepEqual(bind.mempolicy, { mode: 2 | (1 << 15), nodes: 1 });
      const inter = report((c) => (c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0' }));
      assert.deepEqual(inter.mempolicy, { mode: 3, nodes: 1 });
      const local = report((c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL' }));
      assert.equal(local.mempolicy.mode, 4);
      fails(
        (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '63' }),
        /\/linux\/memoryPolicy: container init: set the memory policy set_mempolicy: EINVAL.*do the nodes exist/,
      );
    });

    test('every RLIMIT_ name is applied', () => {
      const hard = hostHardLimits();
      assert.equal(Object.keys(hard).length, 16);
      // soft limits the probe can still run under, each distinct from the default
      const soft: Record<string, number> = {
        RLIMIT_CPU: 100,
        RLIMIT_FSIZE: 2 ** 30,
        RLIMIT_DATA: 2 ** 40,
        RLIMIT_STACK: 8 << 20,
        RLIMIT_CORE: 4096,
        RLIMIT_RSS: 2 ** 30,
        RLIMIT_NPROC: 4000,
        RLIMIT_NOFILE: 512,
        RLIMIT_MEMLOCK: 65536,
        RLIMIT_AS: 2 ** 40,
        RLIMIT_LOCKS: 100,
        RLIMIT_SIGPENDING: 100,
        RLIMIT_MSGQUEUE: 8192,
        RLIMIT_NICE: 0,
        RLIMIT_RTPRIO: 0,
        RLIMIT_RTTIME: 1_000_000,
      };
      const rlimits = Object.entries(hard).map(([type, h]) => {
        const hardValue = h === 'unlimited' ? U64_MAX : Number(h);
        return { type, soft: Math.min(soft[type], hardValue), hard: hardValue };
      });
      const rep = report((c) => (c.process.rlimits = rlimits), exactInfinity);
      for (const rl of rlimits) {
        const want = (v: number) => (v === U64_MAX ? 'unlimited' : String(v));
        assert.deepEqual(rep.rlimits[rl.type], { soft: want(rl.soft), hard: want(rl.hard) }, rl.type);
      }
    });

    // runc 1.1.5, the same config.json text: RLIMIT_CORE "unlimited", RLIMIT_FSIZE soft
    // 9007199254740993 exactly; 18446744073709551616 refused ("cannot unmarshal number ... uint64").
    test('uint64 limits are exact: 18446744073709551615 is unlimited, 2^53+1 stays itself, 2^64 is refused', (t) => {
      const hard = hostHardLimits();
      if (hard.RLIMIT_CORE !== 'unlimited' || hard.RLIMIT_FSIZE !== 'unlimited') return t.skip('this host limits core or file size');
      const rlimits = (c: Config) =>
        (c.process.rlimits = [
          { type: 'RLIMIT_CORE', soft: 1, hard: 2 },
          { type: 'RLIMIT_FSIZE', soft: 3, hard: 4 },
        ]);
      const text = (t: string) =>
        t
          .replace(/"soft": 1\b/, '"soft": 18446744073709551615')
          .replace(/"hard": 2\b/, '"hard": 18446744073709551615')
          .replace(/"soft": 3\b/, '"soft": 9007199254740993')
          .replace(/"hard": 4\b/, '"hard": 18446744073709551615');
      const rep = report(rlimits, text);
      assert.deepEqual(rep.rlimits.RLIMIT_CORE, { soft: 'unlimited', hard: 'unlimited' });
      assert.deepEqual(rep.rlimits.RLIMIT_FSIZE, { soft: '9007199254740993', hard: 'unlimited' }, 'not rounded to 9007199254740992');
      const b = bundle((c) => {
        c.process.args = ['/bin/probe', 'report'];
        rlimits(c);
      });
      const path = join(b.dir, 'config.json');
      writeFileSync(path, text(readFileSync(path, 'utf8')).replace('"hard": 18446744073709551615', '"hard": 18446744073709551616'));
      const res = r.run(['create', '-b', b.dir, newId('procbig')]);
      assert.equal(res.status, 1);
      assert.match(res.stderr, /\/process\/rlimits\/0\/hard: 18446744073709551616 is above the largest 64-bit value/);
      assert.deepEqual(stateDirs(r), [], 'nothing left');
    });

    test('the five capability sets; an unknown name is refused', () => {
      if (mode === 'root') {
        const rep = report((c) => {
          c.process.user = { uid: 1000, gid: 1000 };
          c.process.capabilities = {
            bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
            permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
            effective: ['CAP_KILL'],
            inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
            ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          };
        });
        const bits = (...n: number[]) => n.reduce((a, b) => a | (1n << BigInt(b)), 0n);
        // a non-root program gets its ambient set as permitted and effective (capabilities(7))
        assert.equal(BigInt(`0x${rep.caps.bounding}`), bits(5, 10, 0));
        assert.equal(BigInt(`0x${rep.caps.inheritable}`), bits(5, 10));
        assert.equal(BigInt(`0x${rep.caps.ambient}`), bits(5, 10));
        assert.equal(BigInt(`0x${rep.caps.permitted}`), bits(5, 10));
        assert.equal(BigInt(`0x${rep.caps.effective}`), bits(5, 10));
      } else {
        const rep = report(
          (c) => (c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_SYS_ADMIN'], permitted: ['CAP_KILL'], effective: ['CAP_KILL'] }),
        );
        assert.equal(BigInt(`0x${rep.caps.bounding}`), (1n << 5n) | (1n << 21n));
      }
      fails(
        (c) => (c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_TEST'] }),
        /\/process\/capabilities\/bounding\/1: unknown capability "CAP_TEST"/,
      );
      fails(
        (c) => (c.process.capabilities = { effective: ['CAP_KILL'], permitted: [] }),
        /\/process\/capabilities\/effective: CAP_KILL not in \/process\/capabilities\/permitted/,
      );
    });

    test('intelRdt on a host without resctrl: a clear error, nothing made', {
      skip: existsSync('/sys/fs/resctrl/tasks') && 'this host has resctrl',
    }, () => {
      fails(
        (c) => (c.linux.intelRdt = { closID: 'gold' }),
        /config\.json \/linux\/intelRdt: Intel RDT is not supported on this host: no resctrl filesystem is mounted/,
      );
    });

    test("exec: execCPUAffinity (initial, then final), scheduler, I/O priority and HOME of an exec'd process", {
      skip: availableParallelism() < 2 && 'needs two CPUs',
    }, () => {
      const b = bundle((c) => (c.process.args = ['/bin/probe', 'sleep', '600']));
      const id = newId('execattrs');
      assert.equal(r.run(['run', '-d', '-b', b.dir, id]).status, 0);
      try {
        const proc = (extra: Record<string, unknown>) => {
          const file = `${b.dir}/process-${Object.keys(extra).join('-')}-${Math.random().toString(36).slice(2)}.json`;
          writeFileSync(
            file,
            JSON.stringify({ args: ['/bin/probe', 'report'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, ...extra }),
          );
          if (user) chownSync(file, user.uid, user.gid);
          const res = r.run(['exec', '-p', file, id]);
          assert.equal(res.status, 0, res.stderr);
          return JSON.parse(res.stdout) as Report & { cpus: string };
        };
        assert.equal(proc({ execCPUAffinity: { initial: '1' } }).cpus, '1', 'no final: the initial affinity stays');
        assert.equal(proc({ execCPUAffinity: { initial: '1', final: '0' } }).cpus, '0');
        const sched = proc({ scheduler: { policy: 'SCHED_BATCH', nice: 3 }, ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 0 } });
        assert.deepEqual([sched.sched?.policy, sched.sched?.nice, sched.ioprio], [3, 3, 3 << 13]);
        assert.ok(sched.env.includes('HOME=/'), 'HOME from the image (none here: "/"), as runc exec sets it');
      } finally {
        r.run(['delete', '-f', id]);
      }
    });

    test('HOME is set from the image when the config has none; the cwd is created', () => {
      const rep = report((c) => {
        c.process.env = ['PATH=/bin'];
        c.process.cwd = '/made/for/me';
      });
      assert.ok(rep.env.includes('HOME=/'), `no /etc/passwd in this image: HOME=/ (${rep.env})`);
      assert.equal(rep.cwd, '/made/for/me');
    });
  });
}
