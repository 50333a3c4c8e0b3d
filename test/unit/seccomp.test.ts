// linux.seccomp -> what the init installs, without root, libseccomp or a kernel: the translation to
// libseccomp's numbers, the plan (flags, install point, capabilities kept), the bytes of the
// compile request and of the plan section, the container process state sent to an agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILTER_FLAG, OPERATOR, archName, translateProfile } from '../../src/seccomp/profile.ts';
import { planSeccomp, type SeccompHost, type SeccompProcess } from '../../src/seccomp/plan.ts';
import { encodeRequest } from '../../src/seccomp/compile.ts';
import { containerProcessState } from '../../src/seccomp/notify.ts';
import { encodePlan } from '../../src/linux/encode.ts';
import { buildPlan, type HostFacts } from '../../src/linux/plan-builder.ts';
import { ConfigError } from '../../src/errors.ts';
import type { LinuxSeccomp, Spec } from '../../src/spec/types.ts';
import type { SeccompProfile } from '../../src/seccomp/profile.ts';

const sc = (over: Partial<LinuxSeccomp> = {}): LinuxSeccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', ...over }) as LinuxSeccomp;
const ALLOW = 0x7fff0000;
const ERRNO = (e: number) => (0x50000 | e) >>> 0;

test('actions: the SCMP_ACT_* values, errnoRet in the low bits, EPERM by default', () => {
  const p = translateProfile(
    sc({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      syscalls: [
        { names: ['a'], action: 'SCMP_ACT_KILL' },
        { names: ['b'], action: 'SCMP_ACT_KILL_THREAD' },
        { names: ['c'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['d'], action: 'SCMP_ACT_TRAP' },
        { names: ['e'], action: 'SCMP_ACT_ERRNO' },
        { names: ['f'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 },
        { names: ['g'], action: 'SCMP_ACT_TRACE' },
        { names: ['h'], action: 'SCMP_ACT_TRACE', errnoRet: 3 },
        { names: ['i'], action: 'SCMP_ACT_LOG' },
        { names: ['j'], action: 'SCMP_ACT_ALLOW' },
        { names: ['k'], action: 'SCMP_ACT_NOTIFY' },
      ],
      listenerPath: '/run/agent.sock',
    }),
  );
  assert.equal(p.defaultAction, ERRNO(38));
  assert.deepEqual(
    p.rules.map((r) => [r.names[0], r.action]),
    [
      ['a', 0],
      ['b', 0],
      ['c', 0x80000000],
      ['d', 0x30000],
      ['e', ERRNO(1)],
      ['f', ERRNO(77)],
      ['g', 0x7ff00001],
      ['h', 0x7ff00003],
      ['i', 0x7ffc0000],
      ['j', ALLOW],
      ['k', 0x7fc00000],
    ],
  );
  assert.equal(p.notifyField, '/linux/seccomp/syscalls/10/action');
  assert.deepEqual(p.listener, { path: '/run/agent.sock' });
});

test('a rule with the default action is dropped (it changes nothing, and libseccomp refuses it)', () => {
  const p = translateProfile(
    sc({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['same'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['other'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 },
      ],
    }),
  );
  assert.deepEqual(
    p.rules.map((r) => r.names),
    [['other']],
  );
  assert.equal(p.rules[0].field, '/linux/seccomp/syscalls/1');
});

test('arguments: operators by number, distinct arguments AND-ed in one rule, one argument twice split as runc does', () => {
  const p = translateProfile(
    sc({
      syscalls: [
        {
          names: ['x'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
            { index: 2, value: 0xff, valueTwo: 0x10, op: 'SCMP_CMP_MASKED_EQ' },
          ],
        },
        {
          names: ['y'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 1, value: 5, op: 'SCMP_CMP_LT' },
            { index: 1, value: 9, op: 'SCMP_CMP_GT' },
          ],
        },
      ],
    }),
  );
  assert.equal(p.rules.length, 3);
  assert.deepEqual(p.rules[0].args, [
    { index: 0, op: OPERATOR.SCMP_CMP_EQ, value: 1n, valueTwo: 0n },
    { index: 2, op: OPERATOR.SCMP_CMP_MASKED_EQ, value: 0xffn, valueTwo: 0x10n },
  ]);
  assert.deepEqual(
    p.rules.slice(1).map((r) => [r.names, r.args.length, r.args[0].op, r.field]),
    [
      [['y'], 1, OPERATOR.SCMP_CMP_LT, '/linux/seccomp/syscalls/1'],
      [['y'], 1, OPERATOR.SCMP_CMP_GT, '/linux/seccomp/syscalls/1'],
    ],
  );
  assert.deepEqual(Object.values(OPERATOR), [1, 2, 3, 4, 5, 6, 7]);
});

test('64-bit argument values: exact from the located parser, checked against 2^64', () => {
  const big = 0xfedc_ba98_7654_3210n;
  const field = '/linux/seccomp/syscalls/0/args/0/value';
  const cfg = sc({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: Number(big), op: 'SCMP_CMP_EQ' }] }] });
  assert.notEqual(BigInt(Number(big)), big, 'a double cannot hold it');
  assert.equal(translateProfile(cfg, new Map([[field, big]])).rules[0].args[0].value, big);
  assert.throws(
    () => translateProfile(cfg, new Map([[field, 1n << 64n]])),
    (e: unknown) => e instanceof ConfigError && e.pointer === field && /18446744073709551616 is not a 64-bit unsigned value/.test(e.detail),
  );
});

test('errnoRet beyond what seccomp returns is an error on its field', () => {
  assert.throws(
    () => translateProfile(sc({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', errnoRet: 4096 }] })),
    (e: unknown) => e instanceof ConfigError && e.pointer === '/linux/seccomp/syscalls/0/errnoRet',
  );
  assert.equal(
    translateProfile(sc({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', errnoRet: 0 }] })).rules[0].action,
    ERRNO(0),
    'errno 0: a faked success',
  );
});

test("architectures: libseccomp's names", () => {
  assert.equal(archName('SCMP_ARCH_X86_64'), 'x86_64');
  assert.equal(archName('SCMP_ARCH_MIPSEL64N32'), 'mipsel64n32');
  assert.deepEqual(translateProfile(sc({ architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'] })).arches, ['x86', 'aarch64']);
});

/** A libseccomp and kernel stand-in: every flag (or `flags`), a 3-instruction program. */
function fakeHost(flags = 0x3f, skipped: string[] = []): SeccompHost & { compiled: SeccompProfile[] } {
  const compiled: SeccompProfile[] = [];
  return {
    compiled,
    flagsSupported: () => flags,
    compile: (p) => {
      compiled.push(p);
      return { program: Buffer.alloc(24, 1), skipped, cached: false, libseccomp: '2.5.4' };
    },
  };
}
const nnp: SeccompProcess = { noNewPrivileges: true, capabilities: { effective: 0n, permitted: 0n } };
const CAP_SYS_ADMIN = 1n << 21n;

test('plan: installed last, no flags, no capability kept with no_new_privs', () => {
  const host = fakeHost();
  const plan = planSeccomp(sc({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO' }] }), nnp, host)!;
  assert.deepEqual(
    { ...plan, program: plan.program.length },
    { field: '/linux/seccomp', program: 24, flags: 0, install: 'last', keepCaps: 0n },
  );
  assert.equal(host.compiled.length, 1);
  assert.equal(planSeccomp(undefined, nnp, host), undefined);
});

test('plan: without no_new_privs CAP_SYS_ADMIN is kept for the install, unless the process keeps it anyway', () => {
  const cfg = sc({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO' }] });
  const noNnp = { noNewPrivileges: false, capabilities: { effective: 1n, permitted: 1n } };
  assert.equal(planSeccomp(cfg, noNnp, fakeHost())!.keepCaps, CAP_SYS_ADMIN);
  const privileged = { noNewPrivileges: false, capabilities: { effective: CAP_SYS_ADMIN, permitted: CAP_SYS_ADMIN } };
  assert.equal(planSeccomp(cfg, privileged, fakeHost())!.keepCaps, 0n);
  // permitted but not effective is not enough to install
  const permittedOnly = { noNewPrivileges: false, capabilities: { effective: 0n, permitted: CAP_SYS_ADMIN } };
  assert.equal(planSeccomp(cfg, permittedOnly, fakeHost())!.keepCaps, CAP_SYS_ADMIN);
});

test('plan: the config flags as seccomp(2) bits; one the kernel lacks is an error on its field', () => {
  const cfg = sc({ flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] });
  assert.equal(
    planSeccomp(cfg, nnp, fakeHost())!.flags,
    FILTER_FLAG.SECCOMP_FILTER_FLAG_LOG | FILTER_FLAG.SECCOMP_FILTER_FLAG_SPEC_ALLOW | FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC,
  );
  assert.throws(
    () => planSeccomp(cfg, nnp, fakeHost(FILTER_FLAG.SECCOMP_FILTER_FLAG_LOG | FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC)),
    (e: unknown) =>
      e instanceof ConfigError && e.pointer === '/linux/seccomp/flags/1' && /SPEC_ALLOW is not supported by this kernel/.test(e.detail),
  );
});

test('plan: SCMP_ACT_NOTIFY installs before READY with a listener; TSYNC gets TSYNC_ESRCH; WAIT_KILLABLE_RECV needs notify', () => {
  const debug: string[] = [];
  const notify = sc({
    listenerPath: '/run/agent.sock',
    listenerMetadata: 'meta',
    flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    syscalls: [{ names: ['mknod'], action: 'SCMP_ACT_NOTIFY' }],
  });
  const p = planSeccomp(notify, { noNewPrivileges: false, capabilities: { effective: 0n, permitted: 0n } }, fakeHost())!;
  assert.equal(p.install, 'before-ready');
  assert.equal(p.keepCaps, 0n, 'before READY the init still holds every capability');
  assert.deepEqual(p.listener, { path: '/run/agent.sock', metadata: 'meta' });
  const F = FILTER_FLAG;
  assert.equal(
    p.flags,
    F.SECCOMP_FILTER_FLAG_NEW_LISTENER |
      F.SECCOMP_FILTER_FLAG_TSYNC |
      F.SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
      F.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
  );
  const noListenerKernel = fakeHost(F.SECCOMP_FILTER_FLAG_TSYNC | F.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  assert.throws(
    () => planSeccomp(notify, nnp, noListenerKernel),
    (e: unknown) => e instanceof ConfigError && e.pointer === '/linux/seccomp/syscalls/0/action',
  );
  const withoutNotify = planSeccomp(sc({ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }), nnp, fakeHost(), {
    debug: (m) => debug.push(m),
  })!;
  assert.equal(withoutNotify.flags, 0);
  assert.match(debug.join('\n'), /WAIT_KILLABLE_RECV only matters with SCMP_ACT_NOTIFY/);
});

test('plan: syscall names libseccomp does not know are skipped with a debug line', () => {
  const debug: string[] = [];
  planSeccomp(sc({ syscalls: [{ names: ['mseal', 'read'], action: 'SCMP_ACT_ERRNO' }] }), nnp, fakeHost(0x3f, ['mseal']), {
    debug: (m) => debug.push(m),
  });
  assert.match(debug.join('\n'), /unknown to libseccomp 2\.5\.4, skipped: mseal/);
});

test('the compile request: magic, default action, arches, rules (names in one string) with 64-bit arguments', () => {
  const req = encodeRequest(
    translateProfile(
      sc({
        architectures: ['SCMP_ARCH_X86'],
        syscalls: [
          { names: ['ab', 'cd'], action: 'SCMP_ACT_ERRNO', args: [{ index: 3, value: 7, valueTwo: 9, op: 'SCMP_CMP_MASKED_EQ' }] },
        ],
      }),
    ),
  );
  let o = 0;
  const u32 = () => {
    o += 4;
    return req.readUInt32LE(o - 4);
  };
  const u64 = () => {
    o += 8;
    return req.readBigUInt64LE(o - 8);
  };
  const str = () => {
    const n = u32();
    o += n + 1;
    return req.toString('utf8', o - n - 1, o - 1);
  };
  assert.equal(req.toString('latin1', 0, 8), 'OCSCMP1\0');
  o = 8;
  assert.equal(u32(), ALLOW);
  assert.equal(u32(), 1);
  assert.equal(str(), 'x86');
  assert.equal(u32(), 1);
  assert.equal(u32(), ERRNO(1));
  assert.equal(str(), 'ab,cd', 'the names of a rule in one string');
  assert.equal(u32(), 1);
  assert.deepEqual([u32(), u32(), u64(), u64()], [3, 7, 7n, 9n]);
  assert.equal(o, req.length);
});

const host = (): HostFacts => ({
  euid: 0,
  egid: 0,
  isDirectory: () => true,
  seccomp: fakeHost(),
  lsm: () => ({ apparmor: false, apparmorExecAttr: 'attr/exec', apparmorProfileLoaded: () => undefined, selinux: false }),
});
const spec = (over: Partial<Spec> = {}): Spec =>
  ({
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], noNewPrivileges: true },
    linux: { namespaces: [{ type: 'mount' }], seccomp: sc({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO' }] }) },
    ...over,
  }) as Spec;
const opts = { bundle: '/b', noPivot: false, noNewKeyring: false, preserveFds: 0 };

test('buildPlan: the filter goes into its own plan section; a config without a process gets none', () => {
  const plan = buildPlan(spec(), '/b/rootfs', opts, host());
  assert.equal(plan.seccomp?.install, 'last');
  const bytes = encodePlan(plan);
  // the section is last: tag 1, length, flags, install, keepCaps, program length, program
  const sectionLen = 4 + 4 + 8 + 4 + 24;
  const at = bytes.length - sectionLen - 8;
  assert.equal(bytes.readUInt32LE(at - 4), 1, 'one section');
  assert.deepEqual([bytes.readUInt32LE(at), bytes.readUInt32LE(at + 4)], [1, sectionLen]);
  assert.deepEqual(bytes.subarray(bytes.length - 24), Buffer.alloc(24, 1));
  const noProcess = buildPlan(spec({ process: undefined }), '/b/rootfs', opts, host());
  assert.equal(noProcess.seccomp, undefined, 'the init runs nothing: nothing to filter');
});

test('buildPlan: the exact integers of the bundle reach the filter', () => {
  const big = (1n << 63n) + 5n;
  const cfg = spec();
  cfg.linux!.seccomp = sc({
    syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: Number(big), op: 'SCMP_CMP_EQ' }] }],
  });
  const h = host();
  buildPlan(cfg, '/b/rootfs', { ...opts, exactIntegers: new Map([['/linux/seccomp/syscalls/0/args/0/value', big]]) }, h);
  assert.equal((h.seccomp as ReturnType<typeof fakeHost>).compiled[0].rules[0].args[0].value, big);
});

test('the container process state for the seccomp agent follows the runtime-spec', () => {
  const msg = JSON.parse(
    containerProcessState({ metadata: 'm' }, { id: 'c1', status: 'creating', pid: 4422, bundle: '/b', annotations: { k: 'v' } }),
  );
  assert.deepEqual(msg, {
    ociVersion: '1.3.0',
    fds: ['seccompFd'],
    pid: 4422,
    metadata: 'm',
    state: { ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 4422, bundle: '/b', annotations: { k: 'v' } },
  });
  assert.equal('metadata' in JSON.parse(containerProcessState({}, { id: 'c', status: 'created', pid: 1, bundle: '/b' })), false);
});

test('the test profile has the size engines send and only names the spec allows', () => {
  const p = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'seccomp-profile-400.json'), 'utf8')) as {
    seccomp: LinuxSeccomp;
  };
  const names = (p.seccomp.syscalls ?? []).reduce((n, s) => n + s.names.length, 0);
  assert.ok(names >= 380 && names <= 450, `${names} names`);
  assert.ok(translateProfile(p.seccomp).rules.length > 5);
});
