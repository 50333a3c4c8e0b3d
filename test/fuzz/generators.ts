// fast-check generators for the fuzzer (test/fuzz/fuzz.ts) and its smoke test
// (test/unit/fuzz-smoke.test.ts): config.json mutated from valid and invalid seeds, as values and as
// damaged text, a "safe" mutation of the fields a root `create` may be fuzzed with, and argv.
import fc from 'fast-check';
import { baseConfig, type Config } from '../helpers/containers.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Values that tend to break parsers and validators. */
export const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    '',
    '/',
    '..',
    '../../../../etc',
    '/proc/self/fd/3',
    '\u0000',
    'a\u0000b',
    'x'.repeat(5000),
    '\u{1F600}',
    '\ud800',
    -1,
    -0,
    0,
    2 ** 31,
    2 ** 32,
    2 ** 53 + 1,
    -(2 ** 63),
    1e308,
    0.5,
    true,
    false,
    null,
    [],
    {},
    [null],
    { '': null },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

/** Every (path, node) of a JSON value, for picking where a mutation lands. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function getAt(v: Json, p: (string | number)[]): Json {
  let cur: Json = v;
  for (const k of p) cur = (cur as Record<string, Json>)[k as string];
  return cur;
}

type Mutation = { kind: 'set' | 'delete' | 'insert'; pick: number; key: string; value: Json };

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'delete', 'insert'),
  pick: fc.nat(),
  key: fc.oneof(
    fc.constantFrom('args', 'type', 'path', 'options', 'uid', 'linux', 'process', 'mounts', 'x-unknown'),
    fc.string({ maxLength: 12 }),
  ),
  value: nastyValue,
}) as fc.Arbitrary<Mutation>;

/** Applies mutations to a copy of `seed`: a value at a picked node set, deleted, or a key inserted. */
export function mutate(seed: Json, muts: Mutation[]): Json {
  let doc = JSON.parse(JSON.stringify(seed)) as Json;
  for (const m of muts) {
    const all = paths(doc);
    const p = all[m.pick % all.length];
    if (p.length === 0) {
      if (m.kind === 'set') doc = m.value;
      continue;
    }
    const parent = getAt(doc, p.slice(0, -1));
    const last = p[p.length - 1];
    if (parent === null || typeof parent !== 'object') continue;
    if (m.kind === 'set') (parent as Record<string, Json>)[last as string] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete (parent as Record<string, Json>)[last as string];
    } else {
      const target = getAt(doc, p);
      if (Array.isArray(target)) target.push(m.value);
      else if (target && typeof target === 'object') (target as Record<string, Json>)[m.key] = m.value;
    }
  }
  return doc;
}

/** Seeds: the tests' valid root and rootless configs, and a few invalid ones. */
export function seeds(): Json[] {
  const rootless = baseConfig({ name: 'nobody', uid: 65534, gid: 65534 });
  return [
    baseConfig() as Json,
    rootless as Json,
    {},
    [],
    { ociVersion: '1.3.0' },
    { ociVersion: 1, process: 'x', root: [] },
    { ...(baseConfig() as Record<string, Json>), mounts: [{ destination: 'relative', type: 'bind' }] },
  ];
}

/** Text-level damage to a serialized config: truncated, a byte changed, inserted or removed. */
const textDamage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    ch: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', '\n', 'e9999', '-'),
  }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
);

/** config.json text: a mutated seed, serialized, maybe with its text damaged. */
export const configText: fc.Arbitrary<string> = fc
  .tuple(
    fc.nat(),
    fc.array(mutation, { maxLength: 6 }),
    fc.option(fc.array(textDamage, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    fc.boolean(),
  )
  .map(([seed, muts, damage, pretty]) => {
    const all = seeds();
    let text = JSON.stringify(mutate(all[seed % all.length], muts), null, pretty ? 2 : undefined) ?? 'null';
    for (const d of damage ?? []) {
      const at = d.at % (text.length + 1);
      if (d.kind === 'truncate') text = text.slice(0, at);
      else if (d.kind === 'replace') text = text.slice(0, at) + d.ch + text.slice(at + d.ch.length);
      else if (d.kind === 'insert') text = text.slice(0, at) + d.ch + text.slice(at);
      else text = text.slice(0, at) + text.slice(at + d.n);
    }
    return text;
  });

// ---- the safe subset a root `create` is fuzzed with ----

const containerPath = fc.oneof(
  fc.constantFrom(
    '/',
    '/tmp',
    '/proc',
    '/proc/self',
    '/dev/null',
    '/sys',
    '/etc/hostname',
    '/x/y/z',
    '/bin/probe',
    '/proc/self/fd/3',
    '/../..',
    '/dev/../proc',
  ),
  fc
    .array(fc.constantFrom('a', 'b', '..', '.', 'proc', 'dev', 'tmp', ' ', 'ü'), { minLength: 1, maxLength: 4 })
    .map((p) => '/' + p.join('/')),
);

const mountArb = fc.oneof(
  fc.record({
    destination: containerPath,
    type: fc.constantFrom('tmpfs', 'proc', 'sysfs', 'mqueue', 'devpts', 'none', 'bogusfs'),
    source: fc.constantFrom('tmpfs', 'proc', 'sysfs', 'mqueue', 'devpts', 'none'),
    options: fc.subarray(
      [
        'ro',
        'rw',
        'nosuid',
        'nodev',
        'noexec',
        'mode=755',
        'size=64k',
        'newinstance',
        'rprivate',
        'rshared',
        'strictatime',
        'rro',
        'bogus',
        'nr_inodes=x',
      ],
      { maxLength: 5 },
    ),
  }),
  // a bind of a directory of the bundle (never of the host's)
  fc.record({
    destination: containerPath,
    type: fc.constant('bind'),
    source: fc.constantFrom('rootfs/tmp', 'rootfs/bin/probe', 'rootfs/nonexistent', 'rootfs'),
    options: fc.subarray(['bind', 'rbind', 'ro', 'nosuid', 'rprivate', 'rslave', 'idmap'], { maxLength: 3 }),
  }),
);

const capability = fc.constantFrom(
  'CAP_KILL',
  'CAP_CHOWN',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_ADMIN',
  'CAP_SETUID',
  'CAP_SETGID',
  'CAP_AUDIT_WRITE',
  'CAP_BOGUS',
);
const capSet = fc.subarray(['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_AUDIT_WRITE'], {
  maxLength: 4,
});

type Safe = (c: Config) => void;

/** One change to a field a root create may be fuzzed with (or a type error in it). */
export const safeChange: fc.Arbitrary<Safe> = fc.oneof(
  fc
    .constantFrom<string[]>(
      ['/bin/probe', 'exit', '0'],
      ['/bin/probe', 'exit', '7'],
      ['/bin/probe'],
      ['/nonexistent'],
      ['probe'],
      [''],
      ['/bin/probe', 'kill-self', 'SEGV'],
      ['/bin'],
      [],
    )
    .map(
      (a): Safe =>
        (c) =>
          (c.process.args = a),
    ),
  fc.array(fc.oneof(fc.constantFrom('PATH=/bin', 'A=B', '=x', 'noequals', ''), fc.string({ maxLength: 20 })), { maxLength: 4 }).map(
    (e): Safe =>
      (c) =>
        (c.process.env = e),
  ),
  containerPath.map(
    (p): Safe =>
      (c) =>
        (c.process.cwd = p),
  ),
  fc
    .record({
      uid: fc.oneof(fc.nat({ max: 70000 }), fc.constant(-1)),
      gid: fc.nat({ max: 70000 }),
      additionalGids: fc.array(fc.nat({ max: 70000 }), { maxLength: 3 }),
    })
    .map(
      (u): Safe =>
        (c) =>
          (c.process.user = u),
    ),
  fc
    .record({
      bounding: capSet,
      effective: capSet,
      permitted: capSet,
      inheritable: capSet,
      ambient: fc.array(capability, { maxLength: 2 }),
    })
    .map(
      (k): Safe =>
        (c) =>
          (c.process.capabilities = k),
    ),
  fc
    .array(
      fc.record({
        type: fc.constantFrom('RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_CORE', 'RLIMIT_BOGUS'),
        soft: fc.nat({ max: 1 << 20 }),
        hard: fc.nat({ max: 1 << 20 }),
      }),
      { maxLength: 3 },
    )
    .map(
      (r): Safe =>
        (c) =>
          (c.process.rlimits = r),
    ),
  fc.boolean().map(
    (b): Safe =>
      (c) =>
        (c.process.noNewPrivileges = b),
  ),
  fc.integer({ min: -1200, max: 1200 }).map(
    (n): Safe =>
      (c) =>
        (c.process.oomScoreAdj = n),
  ),
  fc.nat({ max: 0o1000 }).map(
    (n): Safe =>
      (c) =>
        (c.process.user = { ...c.process.user, umask: n }),
  ),
  fc.oneof(fc.constantFrom('h', '', 'a'.repeat(70), 'bad host!'), fc.string({ maxLength: 10 })).map(
    (h): Safe =>
      (c) =>
        (c.hostname = h),
  ),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }).map(
    (a): Safe =>
      (c) =>
        (c.annotations = a),
  ),
  fc.array(mountArb, { maxLength: 3 }).map(
    (m): Safe =>
      (c) =>
        c.mounts.push(...m),
  ),
  fc.nat().map(
    (i): Safe =>
      (c) =>
        c.mounts.splice(i % Math.max(1, c.mounts.length), 1),
  ),
  fc.array(containerPath, { maxLength: 3 }).map(
    (p): Safe =>
      (c) =>
        (c.linux.maskedPaths = p),
  ),
  fc.array(containerPath, { maxLength: 3 }).map(
    (p): Safe =>
      (c) =>
        (c.linux.readonlyPaths = p),
  ),
  fc
    .array(
      fc.record({
        path: containerPath.map((p) => '/dev' + p),
        type: fc.constantFrom('c', 'b', 'p', 'u', 'x'),
        major: fc.nat({ max: 300 }),
        minor: fc.nat({ max: 300 }),
        fileMode: fc.nat({ max: 0o7777 }),
      }),
      { maxLength: 2 },
    )
    .map(
      (d): Safe =>
        (c) =>
          (c.linux.devices = d),
    ),
  fc
    .dictionary(
      fc.constantFrom(
        'net.ipv4.ip_forward',
        'net.core.somaxconn',
        'kernel.shmmni',
        'fs.mqueue.msg_max',
        'kernel.core_pattern',
        'vm.swappiness',
      ),
      fc.oneof(fc.constantFrom('0', '1', '-1', 'x', ''), fc.nat().map(String)),
      { maxKeys: 2 },
    )
    .map(
      (s): Safe =>
        (c) =>
          (c.linux.sysctl = s),
    ),
  fc.record({ pids: fc.record({ limit: fc.integer({ min: -2, max: 1000 }) }) }).map(
    (r): Safe =>
      (c) =>
        (c.linux.resources = r),
  ),
  fc.boolean().map(
    (b): Safe =>
      (c) =>
        (c.root.readonly = b),
  ),
  // a type error or an unknown key anywhere the rest of the fuzzer does not go near the host
  fc.tuple(fc.constantFrom('process', 'linux', 'root'), fc.string({ maxLength: 10 }), nastyValue).map(
    ([at, k, v]): Safe =>
      (c) =>
        (c[at][k] = v),
  ),
);
