import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkBundle, formatProblems, loadBundle, validateConfig } from '../../src/spec/bundle.ts';
import { defaultSpec } from '../../src/spec/defaults.ts';
import { parseLocated, parentPointer } from '../../src/spec/locate.ts';
import type { Spec } from '../../src/spec/types.ts';
import { validateText } from '../../src/spec/validate.ts';
import { OcirtError } from '../../src/errors.ts';

const base = (): Spec => defaultSpec({ rootless: false, uid: 0, gid: 0 });
const rootless = (): Spec => defaultSpec({ rootless: true, uid: 1000, gid: 1000 });
const pointers = (c: unknown): string[] => validateConfig(c).map((p) => p.pointer);

test('the default configs are valid', () => {
  assert.deepEqual(validateConfig(base()), []);
  assert.deepEqual(validateConfig(rootless()), []);
  const r = rootless();
  assert.ok(r.linux?.namespaces?.some((n) => n.type === 'user'));
  assert.ok(!r.linux?.namespaces?.some((n) => n.type === 'network' || n.type === 'cgroup'));
  assert.deepEqual(r.linux?.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assert.equal(r.linux?.resources, undefined);
  assert.ok(!r.mounts?.some((m) => m.destination === '/sys/fs/cgroup'));
  assert.ok(!r.mounts?.some((m) => m.options?.includes('gid=5')));
  assert.ok(r.mounts?.some((m) => m.destination === '/sys' && m.options?.includes('rbind')));
  assert.equal(base().ociVersion, '1.3.0');
});

test('CAP_TEST is refused with a located, explained problem', () => {
  const c = base();
  c.process!.capabilities!.bounding = ['CAP_KILL', 'CAP_TEST'];
  const text = JSON.stringify(c, null, '\t');
  const problems = validateConfig(JSON.parse(text), text);
  assert.equal(problems.length, 1);
  const p = problems[0];
  assert.equal(p.pointer, '/process/capabilities/bounding/1');
  assert.match(p.message, /unknown capability "CAP_TEST": expected one of .*CAP_CHECKPOINT_RESTORE.*capabilities\(7\)/);
  const lines = text.split('\n');
  assert.equal(lines[p.line! - 1].slice(p.column! - 1), '"CAP_TEST"');
  assert.match(formatProblems('config.json', problems), /^config\.json:\d+:\d+: \/process\/capabilities\/bounding\/1: unknown capability/);
});

test('device fileMode: file type bits as runc takes them (matching the type), refused when they contradict it', () => {
  const c = base();
  c.linux!.devices = [
    { type: 'c', path: '/dev/tty0', major: 4, minor: 0, fileMode: 8630 },
    { type: 'b', path: '/dev/loop0', major: 7, minor: 0, fileMode: 24960 },
    { type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666 },
  ];
  assert.deepEqual(validateConfig(c), []);
  c.linux!.devices[0].fileMode = 24960; // S_IFBLK on a character device
  const problems = validateConfig(c);
  assert.deepEqual(
    problems.map((p) => p.pointer),
    ['/linux/devices/0/fileMode'],
  );
  assert.match(problems[0].message, /file type bits 0o60000, which do not match type "c": give the permission bits only \(e\.g\. 384\)/);
  c.linux!.devices[0].fileMode = 0o200000; // beyond st_mode
  assert.deepEqual(pointers(c), ['/linux/devices/0/fileMode']);
});

test("rootfsPropagation takes runc's recursive words (engines send them), nothing else", () => {
  const c = base();
  for (const word of ['rslave', 'rprivate', 'rshared', 'runbindable', 'slave']) {
    c.linux!.rootfsPropagation = word as never;
    assert.deepEqual(validateConfig(c), [], word);
  }
  c.linux!.rootfsPropagation = 'rsomething' as never;
  assert.deepEqual(pointers(c), ['/linux/rootfsPropagation']);
});

test('semantic checks', () => {
  const cases: [string, (c: Spec) => void, string][] = [
    ['ociVersion 2', (c) => (c.ociVersion = '2.0.0'), '/ociVersion'],
    ['relative cwd', (c) => (c.process!.cwd = 'tmp'), '/process/cwd'],
    ['empty args', (c) => (c.process!.args = []), '/process/args'],
    ['relative mount destination', (c) => c.mounts!.push({ destination: 'mnt' }), '/mounts/7/destination'],
    ['unknown mount option', (c) => (c.mounts![0].options = ['nosiud']), '/mounts/0/options/0'],
    ['relative hook', (c) => (c.hooks = { poststop: [{ path: 'cleanup' }] }), '/hooks/poststop/0/path'],
    ['soft > hard', (c) => (c.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }]), '/process/rlimits/0/soft'],
    ['unknown rlimit', (c) => (c.process!.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]), '/process/rlimits/0/type'],
    ['duplicate rlimit', (c) => c.process!.rlimits!.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }), '/process/rlimits/1/type'],
    ['duplicate namespace', (c) => c.linux!.namespaces!.push({ type: 'pid' }), '/linux/namespaces/6/type'],
    ['hostname without uts', (c) => (c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'uts')), '/hostname'],
    ['mappings without userns', (c) => (c.linux!.uidMappings = [{ containerID: 0, hostID: 1, size: 1 }]), '/linux/uidMappings'],
    ['userns without mappings', (c) => c.linux!.namespaces!.push({ type: 'user' }), '/linux'],
    ['timeOffsets without time ns', (c) => (c.linux!.timeOffsets = { monotonic: { secs: 1 } }), '/linux/timeOffsets'],
    ['relative device path', (c) => (c.linux!.devices = [{ type: 'p', path: 'tmp/fifo' }]), '/linux/devices/0/path'],
    [
      'kernel.hostname sysctl (runc: conflicts with the hostname field)',
      (c) => (c.linux!.sysctl = { 'kernel.hostname': 'x' }),
      '/linux/sysctl/kernel.hostname',
    ],
    ['personality without domain', (c) => (c.linux!.personality = {}), '/linux/personality'],
    [
      'empty device cgroup access (runc refuses it)',
      (c) => (c.linux!.resources = { devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: '' }] }),
      '/linux/resources/devices/0/access',
    ],
    ['char device without numbers', (c) => (c.linux!.devices = [{ type: 'c', path: '/dev/x' }]), '/linux/devices/0'],
    ['global sysctl', (c) => (c.linux!.sysctl = { 'kernel.panic': '1' }), '/linux/sysctl/kernel.panic'],
    [
      'net sysctl without netns',
      (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'network');
        c.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      },
      '/linux/sysctl/net.ipv4.ip_forward',
    ],
    [
      'ipc sysctl without ipc',
      (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'ipc');
        c.linux!.sysctl = { 'fs.mqueue.msg_max': '1' };
      },
      '/linux/sysctl/fs.mqueue.msg_max',
    ],
    [
      'notify default action',
      (c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/agent.sock' }),
      '/linux/seccomp/defaultAction',
    ],
    ['personality flag', (c) => (c.linux!.personality = { domain: 'LINUX', flags: ['X'] }), '/linux/personality/flags/0'],
    ['ioPriority out of range', (c) => (c.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 9 }), '/process/ioPriority/priority'],
    ['masked path relative', (c) => c.linux!.maskedPaths!.push('proc/x'), '/linux/maskedPaths/10'],
    ['netDevice name with "/"', (c) => (c.linux!.netDevices = { eth9: { name: 'a/b' } }), '/linux/netDevices/eth9/name'],
    [
      'netDevice name of 16 characters',
      (c) => (c.linux!.netDevices = { eth9: { name: 'abcdefghijklmnop' } }),
      '/linux/netDevices/eth9/name',
    ],
    ['netDevice name the kernel would number', (c) => (c.linux!.netDevices = { eth9: { name: 'eth%d' } }), '/linux/netDevices/eth9/name'],
    ['netDevice key the kernel would number (no name)', (c) => (c.linux!.netDevices = { 'eth%d': {} }), '/linux/netDevices/eth%d'],
    [
      'netDevices without a new network namespace',
      (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'network');
        c.linux!.netDevices = { eth9: {} };
      },
      '/linux/netDevices',
    ],
  ];
  for (const [name, mutate, pointer] of cases) {
    const c = base();
    mutate(c);
    assert.ok(pointers(c).includes(pointer), `${name}: expected a problem at ${pointer}, got ${JSON.stringify(validateConfig(c))}`);
  }
  const joined = rootless();
  joined.linux!.namespaces = joined.linux!.namespaces!.map((n) => (n.type === 'user' ? { type: 'user', path: '/proc/1/ns/user' } : n));
  assert.ok(pointers(joined).includes('/linux/uidMappings'), 'mappings with a joined user namespace');
});

test('warnings: accepted (as runc accepts them), and told, with line:column and a guess', () => {
  const c = base();
  (c.linux as Record<string, unknown>).rootfsPropagation = 'rprivate';
  c.linux!.devices = [{ type: 'p', path: '/run/fifo' }];
  c.linux!.resources = { devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwx' }] };
  (c.mounts![0] as Record<string, unknown>).destnation = '/x';
  (c.root as Record<string, unknown>).readOnly = true;
  (c as unknown as Record<string, unknown>).hooks = { poststartt: [] };
  c.linux!.personality = { domain: 'LINUX32', flags: ['ADDR_NO_RANDOMIZE'] };
  const text = JSON.stringify(c, null, 2);
  const r = validateText(text);
  const byPointer = new Map(r.problems.map((p) => [p.pointer, p]));
  assert.deepEqual(
    r.problems.filter((p) => !p.warning).map((p) => p.message),
    [],
    'nothing here is an error: a device outside /dev and personality(2) flags are valid',
  );
  const expect = (pointer: string, re: RegExp) => {
    const p = byPointer.get(pointer);
    assert.ok(p?.warning, `${pointer}: a warning, got ${JSON.stringify(r.problems)}`);
    assert.match(p.message, re);
    assert.ok(p.line && p.column, `${pointer} is located`);
  };
  assert.equal(byPointer.get('/linux/rootfsPropagation'), undefined, "rprivate: runc's word, accepted as it is (engines send rslave)");
  expect('/linux/resources/devices/0/access', /letters other than r, w and m.*grants "rw"/);
  expect('/mounts/0/destnation', /unknown property "destnation" \(did you mean "destination"\?\)/);
  expect('/root/readOnly', /unknown property "readOnly" \(did you mean "readonly"\?\)/);
  expect('/hooks/poststartt', /did you mean "poststart"/);
  const line = text.split('\n').findIndex((l) => l.includes('"destnation"')) + 1;
  assert.equal(byPointer.get('/mounts/0/destnation')!.line, line, 'the line of the key');
  // maps with free keys are not checked: annotations, sysctl, netDevices names
  const free = base();
  free.annotations = { 'org.example.anything': 'x' };
  free.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  assert.deepEqual(validateConfig(free), []);
});

test('schema problems say what was expected and what was found', () => {
  const c = base() as unknown as { process: { terminal: unknown; user: { uid: unknown } }; linux: { namespaces: unknown[] } };
  c.process.terminal = 'yes';
  c.process.user.uid = -1;
  c.linux.namespaces.push({ type: 'bogus' });
  const byPointer = new Map(validateConfig(c).map((p) => [p.pointer, p.message]));
  assert.match(byPointer.get('/process/terminal')!, /expected a boolean, found string "yes"/);
  assert.match(byPointer.get('/process/user/uid')!, /integer -1 is out of range/);
  assert.match(byPointer.get('/linux/namespaces/6/type')!, /"bogus" is not allowed: expected one of mount, pid/);
  const noCwd = base() as unknown as { process: Record<string, unknown> };
  delete noCwd.process.cwd;
  assert.deepEqual(
    validateConfig(noCwd).map((p) => [p.pointer, p.message]),
    [['/process', 'missing required property "cwd": add it']],
  );
});

test('bundle checks: the rootfs, every problem at once; the program is left to the init (a mount may bring it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-bundle-'));
  try {
    const c = base();
    c.process!.args = ['/run/podman-init', '--', '/bin/sh'];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, '\t'));
    let r = checkBundle(dir);
    assert.deepEqual(
      r.problems.map((p) => p.pointer),
      ['/root/path'],
    );
    assert.throws(
      () => loadBundle(dir),
      (e: unknown) =>
        e instanceof OcirtError &&
        /^invalid bundle \S+: \S+config\.json:\d+:\d+: \/root\/path: root filesystem .* does not exist: expected a directory/.test(
          e.message,
        ),
      'one line: what failed and why',
    );

    mkdirSync(join(dir, 'rootfs'), { recursive: true });
    const ok = loadBundle(dir);
    assert.equal(ok.rootfs, join(dir, 'rootfs'));
    assert.equal(ok.config.process?.args?.[0], '/run/podman-init', 'not in the rootfs: podman --init binds it there');

    writeFileSync(join(dir, 'config.json'), '{\n  "ociVersion": "1.3.0",\n  "root": {"path": "rootfs"}\n  "x": 1\n}');
    r = checkBundle(dir);
    assert.deepEqual([r.problems[0].line, r.problems[0].column], [4, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- property tests ---------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function allPointers(v: Json, p = ''): string[] {
  const out = [p];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...allPointers(x, `${p}/${i}`)));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...allPointers(x, `${p}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

function getParentAndKey(doc: Json, pointer: string): [Json[] | { [k: string]: Json }, string] | undefined {
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (cur !== null && typeof cur === 'object') cur = cur[t];
  }
  if (cur === null || typeof cur !== 'object') return undefined;
  return [cur, tokens[tokens.length - 1]];
}

const garbage = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(-1, 1.5, 2 ** 64, '', 'CAP_TEST', 'relative/path', [], {}, null, true, '/dev/../etc'),
);

const mutation = fc.tuple(fc.constantFrom('delete', 'retype', 'replace', 'insert'), fc.nat(), garbage, fc.string({ maxLength: 8 }));

test('random mutations never crash the validator and every problem points into the document', () => {
  const seeds: Json[] = [base() as unknown as Json, rootless() as unknown as Json];
  fc.assert(
    fc.property(fc.nat(1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, muts) => {
      const doc = structuredClone(seeds[which]);
      for (const [kind, n, value, key] of muts) {
        const ptrs = allPointers(doc).filter((p) => p !== '');
        const target = ptrs[n % ptrs.length];
        const pk = getParentAndKey(doc, target);
        if (!pk) continue;
        const [parent, k] = pk;
        if (Array.isArray(parent)) {
          const i = Number(k);
          if (kind === 'delete') parent.splice(i, 1);
          else if (kind === 'insert') parent.splice(i, 0, value);
          else parent[i] = kind === 'retype' ? (typeof parent[i] === 'string' ? 7 : 'x') : value;
        } else if (kind === 'delete') delete parent[k];
        else if (kind === 'insert') parent[key] = value;
        else parent[k] = kind === 'retype' ? (typeof parent[k] === 'string' ? 7 : 'x') : value;
      }
      const text = JSON.stringify(doc, null, 2);
      const problems = validateConfig(JSON.parse(text), text);
      const existing = new Set(allPointers(doc));
      for (const p of problems) {
        assert.equal(typeof p.message, 'string');
        assert.ok(existing.has(p.pointer) || existing.has(parentPointer(p.pointer)), `pointer ${p.pointer} not in the document`);
        assert.ok(p.line !== undefined && p.column !== undefined, `located: ${p.pointer}`);
        const loc = parseLocated(text);
        if (existing.has(p.pointer)) assert.deepEqual({ line: p.line, column: p.column }, loc.positions.get(p.pointer));
      }
    }),
    { numRuns: 400 },
  );
});

test('seccomp: errno range, listenerMetadata without listenerPath, NOTIFY without a listener', () => {
  const c = base();
  c.linux!.seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 4096,
    listenerMetadata: 'm',
    syscalls: [
      { names: ['a'], action: 'SCMP_ACT_ERRNO', errnoRet: 4095 },
      { names: ['b'], action: 'SCMP_ACT_NOTIFY' },
    ],
  };
  const problems = validateConfig(c);
  assert.deepEqual(problems.map((p) => p.pointer).sort(), [
    '/linux/seccomp',
    '/linux/seccomp/defaultErrnoRet',
    '/linux/seccomp/listenerMetadata',
  ]);
  assert.match(problems.find((p) => p.pointer === '/linux/seccomp/defaultErrnoRet')!.message, /at most 4095/);
});

test('loadBundle: exact integers beyond 2^53 and the line:column of any field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-big-'));
  try {
    mkdirSync(join(dir, 'rootfs'));
    const c = base();
    c.process!.args = ['/x'];
    c.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['lseek'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 1, op: 'SCMP_CMP_EQ' }] }],
    };
    const text = JSON.stringify(c, null, 2).replace('"value": 1', '"value": 18446744073709551615');
    writeFileSync(join(dir, 'config.json'), text);
    writeFileSync(join(dir, 'rootfs', 'x'), '');
    chmodSync(join(dir, 'rootfs', 'x'), 0o755);
    const b = loadBundle(dir);
    assert.deepEqual([...b.exactIntegers], [['/linux/seccomp/syscalls/0/args/0/value', 18446744073709551615n]]);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('18446744073709551615'));
    const column = lines[line].indexOf('18446744073709551615') + 1;
    assert.equal(b.where('/linux/seccomp/syscalls/0/args/0/value'), `${join(dir, 'config.json')}:${line + 1}:${column}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
