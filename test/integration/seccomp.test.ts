// linux.seccomp applied for real, as root and rootless: what a filtered process sees when it makes
// a syscall (the probe's `sys` command reports the return value and errno), how it dies, what the
// seccomp agent receives with SCMP_ACT_NOTIFY, and that bad profiles fail with located errors and
// leave nothing behind.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUSYBOX,
  IS_ROOT,
  OCIRT,
  PROBE,
  REPO,
  hostSnapshot,
  newId,
  makeBundle,
  runner,
  stateDirs,
  testUser,
  type Bundle,
  type Config,
  type Runner,
  type User,
} from '../helpers/containers.ts';

const AGENT = join(REPO, 'build', 'Release', 'ocirt-seccomp-agent');
const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : false;
const noBusybox = !BUSYBOX && 'busybox-static not installed';

/** The ~400-name default-deny profile of the tests and the benchmark (make-seccomp-profile.mjs). */
function bigProfile(): Config {
  return (JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'seccomp-profile-400.json'), 'utf8')) as { seccomp: Config }).seccomp;
}

interface SysResult {
  op: string;
  ret: number;
  errno: number;
}

const EPERM = 1;
const ENOSYS = 38;
const SIGSYS = 31;

/** A shell line running the probe's `sys` command once per entry. */
const sysScript = (...calls: string[][]) => calls.map((c) => ['/bin/probe', 'sys', ...c].join(' ')).join('; ');

/** Replaces "@@n@@" strings in the written config.json with the bare number n (beyond 2^53). */
function writeWithBigIntegers(b: Bundle): void {
  b.write();
  const path = join(b.dir, 'config.json');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/"@@([0-9]+)@@"/g, '$1'));
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`seccomp, ${mode}`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    const bundle = (mutate?: (c: Config) => void) => {
      const b = makeBundle(mutate, user);
      bundles.push(b);
      return b;
    };
    /** runs the bundle; the probe's sys results, one per line of output */
    const results = (b: Bundle): SysResult[] => {
      const res = r.run(['run', '-b', b.dir, newId('sc')]);
      assert.equal(res.status, 0, res.stderr);
      return res.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as SysResult);
    };
    const sysBundle = (seccomp: Config | undefined, ...calls: string[][]) =>
      bundle((c) => {
        c.process.args = calls.length === 1 ? ['/bin/probe', 'sys', ...calls[0]] : ['/bin/sh', '-c', sysScript(...calls)];
        if (seccomp) c.linux.seccomp = seccomp;
      });

    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
    });

    test('a chosen syscall fails with EPERM, another with the errno the rule names', { skip: noBusybox }, () => {
      const calls = [['kcmp-self'], ['getppid']];
      const unfiltered = results(sysBundle(undefined, ...calls));
      assert.deepEqual(
        unfiltered.map((x) => x.errno),
        [0, 0],
        'both succeed without a filter',
      );
      const filtered = results(
        sysBundle(
          {
            defaultAction: 'SCMP_ACT_ALLOW',
            syscalls: [
              { names: ['kcmp'], action: 'SCMP_ACT_ERRNO' },
              { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 },
            ],
          },
          ...calls,
        ),
      );
      assert.deepEqual(
        filtered.map((x) => [x.ret, x.errno]),
        [
          [-1, EPERM],
          [-1, 77],
        ],
      );
    });

    for (const action of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP']) {
      test(`${action}: the process dies of SIGSYS at the syscall`, () => {
        const b = sysBundle({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action }] }, ['uname']);
        const res = r.run(['run', '-b', b.dir, newId('kill')]);
        assert.equal(res.status, 128 + SIGSYS, `${res.stdout}${res.stderr}`);
        assert.equal(res.stdout, '', 'the probe did not get past the syscall');
      });
    }

    test('SCMP_ACT_TRACE without a tracer answers ENOSYS; SCMP_ACT_LOG and SCMP_ACT_ALLOW let it run', { skip: noBusybox }, () => {
      const got = results(
        sysBundle(
          {
            defaultAction: 'SCMP_ACT_ALLOW',
            syscalls: [
              { names: ['kcmp'], action: 'SCMP_ACT_TRACE' },
              { names: ['getppid'], action: 'SCMP_ACT_LOG' },
              { names: ['uname'], action: 'SCMP_ACT_ALLOW' },
            ],
          },
          ['kcmp-self'],
          ['getppid'],
          ['uname'],
        ),
      );
      assert.deepEqual(
        got.map((x) => x.errno),
        [ENOSYS, 0, 0],
      );
    });

    test('argument filters: every operator, AND across arguments, OR on one, masked and 64-bit values', { skip: noBusybox }, () => {
      const BIG = 0x7fff_ffff_ffff_fff0n; // beyond 2^53: JSON.parse alone would round it
      const rule = (names: string[], errnoRet: number, args: Config[]) => ({ names, action: 'SCMP_ACT_ERRNO', errnoRet, args });
      const arg = (index: number, op: string, value: number | string, valueTwo?: number | string) => ({
        index,
        op,
        value,
        ...(valueTwo !== undefined ? { valueTwo } : {}),
      });
      const b = bundle((c) => {
        c.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [
            rule(['lseek'], 10, [arg(1, 'SCMP_CMP_EQ', 1000)]),
            rule(['lseek'], 14, [arg(1, 'SCMP_CMP_MASKED_EQ', 0xff00, 0x4200)]),
            rule(['lseek'], 15, [arg(1, 'SCMP_CMP_EQ', `@@${BIG}@@`)]),
            rule(['lseek'], 16, [arg(1, 'SCMP_CMP_MASKED_EQ', `@@${0xffff_0000_0000_0000n}@@`, `@@${0x1234_0000_0000_0000n}@@`)]),
            rule(['personality'], 11, [arg(0, 'SCMP_CMP_GT', 0x100000)]),
            rule(['personality'], 13, [arg(0, 'SCMP_CMP_LE', 0x10)]),
            rule(['unshare'], 17, [arg(0, 'SCMP_CMP_LT', 1)]),
            rule(['unshare'], 12, [arg(0, 'SCMP_CMP_GE', 0x40000000)]),
            // two arguments: both must hold
            rule(['socket'], 18, [arg(0, 'SCMP_CMP_EQ', 1), arg(1, 'SCMP_CMP_NE', 1)]),
            // one argument twice: either holds (split into two rules, as runc does)
            rule(['kcmp'], 19, [arg(2, 'SCMP_CMP_EQ', 0), arg(2, 'SCMP_CMP_EQ', 1)]),
          ],
        };
      });
      const cases: [string[], number][] = [
        [['lseek-null', '1000'], 10],
        [['lseek-null', '1001'], 0],
        [['lseek-null', '0x42ff'], 14],
        [['lseek-null', '0x43ff'], 0],
        [['lseek-null', `${BIG}`], 15],
        [['lseek-null', `${BIG + 1n}`], 0],
        [['lseek-null', `${0x1234_0000_0000_0abcn}`], 16],
        [['lseek-null', `${0x1235_0000_0000_0abcn}`], 0],
        [['personality', '0x200000'], 11],
        [['personality', '8'], 13],
        [['personality', '0x1000'], 0],
        [['unshare', '0'], 17],
        [['unshare', '0x40000000'], 12],
        [['unshare', '0x200'], 0],
        [['socket', '1', '2'], 18],
        [['socket', '1', '1'], 0],
        [['socket', '2', '2'], 0],
        [['kcmp-self', '0'], 19],
        [['kcmp-self', '1'], 19],
        [['kcmp-self', '2'], 0],
      ];
      b.config.process.args = ['/bin/sh', '-c', sysScript(...cases.map(([call]) => call))];
      writeWithBigIntegers(b);
      const got = results(b).map((x) => `${x.op} ${x.errno}`);
      assert.deepEqual(
        got,
        cases.map(([call, errno]) => `${call[0]} ${errno}`),
      );
    });

    test('a ~400-name default-deny profile runs busybox normally while what it leaves out fails', { skip: noBusybox }, () => {
      const b = bundle((c) => {
        c.linux.seccomp = bigProfile();
        c.process.args = [
          '/bin/sh',
          '-c',
          `ls / >/dev/null && cat /etc/hostname && /bin/probe report | grep -o '"seccomp":"[0-9]*"' && ` +
            sysScript(
              ['kcmp-self'],
              ['unshare', '0x10000000'],
              ['clone3'],
              ['socket', '40', '1'],
              ['socket', '1', '1'],
              ['personality', '8'],
              ['personality', '4'],
            ),
        ];
      });
      const res = r.run(['run', '-b', b.dir, newId('big')]);
      assert.equal(res.status, 0, res.stderr);
      const lines = res.stdout.trim().split('\n');
      assert.equal(lines[0], 'bundle', 'busybox ran: cat printed the hostname file');
      assert.equal(lines[1], '"seccomp":"2"', 'the probe runs in seccomp filter mode');
      const got = lines.slice(2).map((l) => JSON.parse(l) as SysResult);
      assert.deepEqual(
        got.map((x) => [x.op, x.errno]),
        [
          ['kcmp-self', EPERM], // left out: the default action
          ['unshare', EPERM],
          ['clone3', ENOSYS], // the profile's own errno for it
          ['socket', EPERM], // AF_VSOCK: the NE rule does not match
          ['socket', 0],
          ['personality', 0], // PER_LINUX32: allowed by value
          ['personality', EPERM], // any other value
        ],
      );
    });

    test('without noNewPrivileges the filter is installed with CAP_SYS_ADMIN, which the process then no longer has', () => {
      const b = bundle((c) => {
        c.process.noNewPrivileges = false;
        c.process.args = ['/bin/probe', 'report'];
        c.linux.seccomp = bigProfile();
      });
      const res = r.run(['run', '-b', b.dir, newId('nnp')]);
      assert.equal(res.status, 0, res.stderr);
      const rep = JSON.parse(res.stdout) as { seccomp: string; no_new_privs: number; caps: Record<string, string> };
      assert.equal(rep.seccomp, '2');
      assert.equal(rep.no_new_privs, 0);
      const sysAdmin = 1n << 21n;
      for (const set of ['effective', 'permitted', 'bounding'])
        assert.equal(BigInt(`0x${rep.caps[set]}`) & sysAdmin, 0n, `${set} has no CAP_SYS_ADMIN`);
    });

    test('the runtime-tools linux_seccomp case: getcwd fails with EPERM (the check runtimetest skips)', () => {
      const b = sysBundle({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }] }, ['getcwd']);
      assert.deepEqual(
        results(b).map((x) => x.errno),
        [EPERM],
      );
    });

    test('create + start: the filter the started program runs under', { skip: noBusybox }, () => {
      const outDir = mkdtempSync('/tmp/ocirt-out-');
      chmodSync(outDir, 0o755);
      const out = join(outDir, 'out');
      writeFileSync(out, '');
      if (user) chownSync(out, user.uid, user.gid);
      const b = bundle((c) => {
        c.process.args = ['/bin/sh', '-c', '/bin/probe sys kcmp-self > /out'];
        c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['bind'] });
        c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }] };
      });
      const id = newId('split');
      try {
        assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
        assert.equal(r.run(['start', id]).status, 0);
        for (let i = 0; i < 200 && readFileSync(out, 'utf8') === ''; i++) spawnSync('sleep', ['0.05']);
        assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), { op: 'kcmp-self', ret: -1, errno: 5 });
      } finally {
        r.run(['delete', '-f', id]);
        rmSync(outDir, { recursive: true, force: true });
      }
    });

    test('SCMP_ACT_NOTIFY: the agent at listenerPath gets the container process state and the fd, and answers', async () => {
      const dir = mkdtempSync('/tmp/ocirt-agent-');
      chmodSync(dir, 0o755);
      try {
        const sock = join(dir, 'agent.sock');
        const stateFile = join(dir, 'state.json');
        const agent = spawn(AGENT, [sock, stateFile, '4242'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
        agent.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const exited = new Promise<number | null>((res) => agent.on('exit', (code) => res(code)));
        for (let i = 0; i < 200 && !out.includes('ready'); i++) await new Promise((res) => setTimeout(res, 25));
        assert.match(out, /ready/, err);

        const b = bundle((c) => {
          c.annotations = { 'org.example.key': 'value' };
          c.process.args = ['/bin/probe', 'sys', 'getppid'];
          c.linux.seccomp = {
            defaultAction: 'SCMP_ACT_ALLOW',
            listenerPath: sock,
            listenerMetadata: 'MKNOD=/dev/null',
            syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }],
          };
        });
        const id = newId('notify');
        const res = await r.runAsync(['run', '-b', b.dir, id]);
        assert.equal(res.status, 0, res.stderr);
        assert.deepEqual(JSON.parse(res.stdout), { op: 'getppid', ret: 4242, errno: 0 }, 'the agent answered for the kernel');
        assert.equal(await exited, 0, err);
        assert.match(out, /syscall 110\n/, 'one notification: getppid (x86_64 110)');

        const [json, fds] = readFileSync(stateFile, 'utf8').split('\nfds ');
        assert.equal(fds.trim(), '1', 'exactly one fd came');
        const st = JSON.parse(json) as Config;
        assert.equal(st.ociVersion, '1.3.0');
        assert.deepEqual(st.fds, ['seccompFd']);
        assert.equal(st.metadata, 'MKNOD=/dev/null');
        assert.ok(Number.isInteger(st.pid) && st.pid > 1, `pid as the runtime sees it: ${st.pid}`);
        assert.deepEqual(st.state, {
          ociVersion: '1.3.0',
          id,
          status: 'creating',
          pid: st.pid,
          bundle: b.dir,
          annotations: { 'org.example.key': 'value' },
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('SCMP_ACT_NOTIFY with nobody listening: create fails naming listenerPath and leaves nothing', () => {
      const before = hostSnapshot();
      const b = bundle((c) => {
        c.process.args = ['/bin/probe', 'sys', 'getppid'];
        c.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          listenerPath: '/nonexistent/agent.sock',
          syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }],
        };
      });
      const res = r.run(['create', '-b', b.dir, newId('noagent')]);
      assert.equal(res.status, 1);
      assert.match(res.stderr, /\/linux\/seccomp\/listenerPath.*\/nonexistent\/agent\.sock: ENOENT/);
      assert.deepEqual(stateDirs(r), []);
      const after = hostSnapshot();
      assert.deepEqual(after.cgroups, before.cgroups);
      assert.deepEqual(after.probes, before.probes);
    });

    test('bad profiles fail with the field and its line:column, and leave nothing behind', () => {
      const before = hostSnapshot();
      const sc = (over: Config) => ({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_ERRNO' }],
        ...over,
      });
      const cases: [string, Config, RegExp][] = [
        [
          'unknown action',
          sc({ syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_MAYBE' }] }),
          /config\.json:\d+:\d+: \/linux\/seccomp\/syscalls\/0\/action: .*SCMP_ACT_MAYBE/,
        ],
        [
          'unknown operator',
          sc({ syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }] }),
          /:\d+:\d+: \/linux\/seccomp\/syscalls\/0\/args\/0\/op: /,
        ],
        ['unknown architecture', sc({ architectures: ['SCMP_ARCH_Z80'] }), /:\d+:\d+: \/linux\/seccomp\/architectures\/0: /],
        ['unknown flag', sc({ flags: ['SECCOMP_FILTER_FLAG_FAST'] }), /:\d+:\d+: \/linux\/seccomp\/flags\/0: /],
        [
          'errno out of range',
          sc({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5000 }),
          /:\d+:\d+: \/linux\/seccomp\/defaultErrnoRet: errno 5000 is out of range/,
        ],
        [
          'value beyond 64 bits',
          sc({
            syscalls: [
              { names: ['lseek'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: '@@18446744073709551616@@', op: 'SCMP_CMP_EQ' }] },
            ],
          }),
          /config\.json:\d+:\d+: \/linux\/seccomp\/syscalls\/0\/args\/0\/value: 18446744073709551616 is not a 64-bit unsigned value/,
        ],
        [
          'notify without listenerPath',
          sc({ syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_NOTIFY' }] }),
          /\/linux\/seccomp: SCMP_ACT_NOTIFY needs "listenerPath"/,
        ],
      ];
      for (const [name, seccomp, expect] of cases) {
        const b = bundle((c) => (c.linux.seccomp = seccomp));
        writeWithBigIntegers(b);
        const res = r.run(['create', '-b', b.dir, newId('bad')]);
        assert.equal(res.status, 1, name);
        assert.match(res.stderr, expect, `${name}: ${res.stderr}`);
        assert.deepEqual(stateDirs(r), [], `${name}: no state dir`);
      }
      const after = hostSnapshot();
      assert.deepEqual(after.cgroups, before.cgroups);
      assert.deepEqual(after.probes, before.probes);
      assert.deepEqual(after.mounts, before.mounts);
    });

    test('compiled programs are cached, and a cache entry not private to us is never used', () => {
      const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_ERRNO', errnoRet: 9 }] };
      const b = sysBundle(seccomp, ['kcmp-self']);
      const run = () => r.run(['--debug', 'run', '-b', b.dir, newId('cache')]);
      const cacheDir = join(r.root, '.seccomp-cache');
      const listing = () => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => n.endsWith('.bpf')) : []);
      const earlier = new Set(listing());
      const first = run();
      assert.equal(first.status, 0, first.stderr);
      const entries = listing().filter((n) => !earlier.has(n));
      assert.equal(entries.length, 1, 'one entry for this profile');
      assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
      const second = run();
      assert.match(second.stderr, /BPF instructions \(cached\)/);
      assert.deepEqual(JSON.parse(second.stdout), { op: 'kcmp-self', ret: -1, errno: 9 });

      // A planted entry for the same profile that lets everything through: owned by someone else,
      // or writable by others, it must be ignored (and replaced).
      const entry = join(cacheDir, entries[0]);
      const allowAll = Buffer.alloc(8);
      allowAll.writeUInt16LE(0x06, 0); // BPF_RET|BPF_K
      allowAll.writeUInt32LE(0x7fff0000, 4); // SECCOMP_RET_ALLOW
      const planted = Buffer.concat([readFileSync(entry).subarray(0, 40), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), allowAll]);
      for (const plant of [(p: string) => chownSync(p, 65534, 65534), (p: string) => chmodSync(p, 0o666)]) {
        writeFileSync(entry, planted);
        if (user) chownSync(entry, user.uid, user.gid);
        chmodSync(entry, 0o600);
        plant(entry);
        const res = run();
        assert.equal(res.status, 0, res.stderr);
        assert.doesNotMatch(res.stderr, /\(cached\)/);
        assert.deepEqual(JSON.parse(res.stdout), { op: 'kcmp-self', ret: -1, errno: 9 }, 'the planted program was not used');
        const st = statSync(entry);
        assert.equal(st.uid, user?.uid ?? 0, 'replaced by our own compile');
        assert.equal(st.mode & 0o077, 0);
      }
    });

    test('a host without libseccomp: a config with seccomp fails saying so, leaving nothing', {
      skip: mode === 'rootless' && 'hiding the library needs a mount namespace of root',
    }, () => {
      const lib = spawnSync('sh', ['-c', 'readlink -f "$(ldconfig -p | grep -m1 libseccomp.so.2 | sed "s/.*=> //")"'], {
        encoding: 'utf8',
      }).stdout.trim();
      if (!lib || !existsSync(lib)) return;
      const b = sysBundle({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_ERRNO' }] }, ['kcmp-self']);
      const id = newId('nolib');
      const res = spawnSync(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount --bind /dev/null "$1" && shift && exec "$@"',
          'sh',
          lib,
          OCIRT,
          '--root',
          r.root,
          'run',
          '-b',
          b.dir,
          id,
        ],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(res.status, 1, res.stderr);
      assert.match(res.stderr, /\/linux\/seccomp: the config asks for a seccomp filter, but cannot load libseccomp\.so\.2/);
      assert.deepEqual(stateDirs(r), []);
    });
  });
}
