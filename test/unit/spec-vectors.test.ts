// Our schema (TypeBox -> build-time ajv code) must give the official schema's verdict on every
// official vector. Semantic checks go further; where they reject a schema-valid vector, the reason
// is listed below, so a new difference fails the test instead of passing unnoticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import fc from 'fast-check';
import { defaultSpec } from '../../src/spec/defaults.ts';
import { checkSchema, validateText } from '../../src/spec/validate.ts';
import { checkSemantics } from '../../src/spec/semantic.ts';

const SPEC = resolve(process.cwd(), '..', 'shared', 'oci-runtime-spec');
const present = existsSync(join(SPEC, 'config-schema.json'));
const skip = present
  ? false
  : `official runtime-spec schemas not found at ${SPEC} (expected ../shared/oci-runtime-spec from the repo root)`;

/** Good (schema-valid) vectors our semantic checks reject, and why. */
const SEMANTIC_DIFFERENCES: Record<string, { pointers: string[]; reason: string }> = {
  'good/spec-example.json': { pointers: ['/ociVersion'], reason: 'ociVersion "0.5.0-dev" is not a 1.x version' },
  'good/freebsd-example.json': {
    pointers: ['/hostname'],
    reason: 'a FreeBSD config: hostname without a Linux UTS namespace (ocirt runs Linux containers)',
  },
  'good/zos-example.json': {
    pointers: ['/ociVersion', '/hostname', '/mounts/1/options/1', '/mounts/1/options/2'],
    reason: 'a z/OS config: version 0.5.0-dev, hostname without a UTS namespace, z/OS mount options "-p 1755" and "-s 64"',
  },
  'good/linux-netdevice.json': { pointers: ['/linux/netDevices'], reason: 'netDevices without a new network namespace to move them into' },
};

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

function officialValidator(): Validate {
  // ajv-draft-04 is CommonJS: depending on interop the default import is the class or its module.
  type AjvClass = typeof Ajv04.default;
  const Ctor: AjvClass = typeof Ajv04 === 'function' ? (Ajv04 as unknown as AjvClass) : Ajv04.default;
  const ajv = new Ctor({ allErrors: true, strict: false });
  for (const f of readdirSync(SPEC)) {
    if (f.endsWith('.json') && !f.startsWith('features') && !f.startsWith('state')) {
      ajv.addSchema(JSON.parse(readFileSync(join(SPEC, f), 'utf8')) as object, f);
    }
  }
  const v = ajv.getSchema('config-schema.json');
  assert.ok(v, 'official config-schema.json compiles');
  return v as Validate;
}

function vectors(): { name: string; text: string; expectValid: boolean }[] {
  const out: { name: string; text: string; expectValid: boolean }[] = [];
  for (const kind of ['good', 'bad']) {
    const dir = join(SPEC, 'test', 'config', kind);
    for (const f of readdirSync(dir).sort())
      out.push({ name: `${kind}/${f}`, text: readFileSync(join(dir, f), 'utf8'), expectValid: kind === 'good' });
  }
  return out;
}

test('schema verdict matches the official schema on every config vector', { skip }, () => {
  const official = officialValidator();
  const all = vectors();
  assert.ok(all.length >= 10, 'vectors found');
  for (const v of all) {
    let value: unknown;
    let parsed = true;
    try {
      value = JSON.parse(v.text);
    } catch {
      parsed = false;
    }
    const officialVerdict = parsed && official(value);
    assert.equal(officialVerdict, v.expectValid, `${v.name}: the official schema's verdict is the vector's folder`);
    const r = validateText(v.text);
    const ours = parsed && r.value !== undefined && checkSchema(value).length === 0;
    assert.equal(
      ours,
      officialVerdict,
      `${v.name}: our schema verdict ${ours}, official ${officialVerdict}: ${JSON.stringify(checkSchema(value))}`,
    );
    if (!ours) {
      assert.ok(r.problems.length > 0, `${v.name}: rejected with located problems`);
      for (const p of r.problems) assert.ok(p.line !== undefined && p.column !== undefined, `${v.name}: problem located: ${p.message}`);
    }
  }
});

test('semantic checks differ from the schema only on the listed vectors', { skip }, () => {
  for (const v of vectors().filter((x) => x.expectValid)) {
    const pointers = checkSemantics(JSON.parse(v.text))
      .map((p) => p.pointer)
      .sort();
    const expected = [...(SEMANTIC_DIFFERENCES[v.name]?.pointers ?? [])].sort();
    assert.deepEqual(pointers, expected, `${v.name}: semantic problems ${JSON.stringify(checkSemantics(JSON.parse(v.text)))}`);
  }
});

test('invalid JSON vector reports the syntax error position', { skip }, () => {
  const r = validateText(readFileSync(join(SPEC, 'test', 'config', 'bad', 'invalid-json.json'), 'utf8'));
  assert.equal(r.problems.length, 1);
  assert.deepEqual([r.problems[0].line, r.problems[0].column], [1, 2]);
  assert.match(r.problems[0].message, /invalid JSON/);
});

// ---- differential: random mutations of real configs, our schema vs the official one ----------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, p: (string | number)[] = []): (string | number)[][] {
  const out = [p];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...p, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...p, k]));
  return out;
}

/** The config with each linux.devices[].fileMode that carries file type bits cut to its permission bits. */
function devicePermissionBitsOnly(doc: Json): Json {
  const copy = structuredClone(doc) as { linux?: { devices?: unknown } };
  const devices = copy?.linux?.devices;
  if (!Array.isArray(devices)) return copy as Json;
  for (const d of devices as { fileMode?: unknown }[]) {
    if (
      d &&
      typeof d === 'object' &&
      Number.isInteger(d.fileMode) &&
      (d.fileMode as number) > 0o777 &&
      (d.fileMode as number) <= 0o177777
    ) {
      d.fileMode = (d.fileMode as number) & 0o777;
    }
  }
  return copy as Json;
}

test('schema verdict matches the official schema on mutated configs', { skip }, () => {
  const official = officialValidator();
  const seeds: Json[] = [
    JSON.parse(readFileSync(join(SPEC, 'test', 'config', 'good', 'spec-example.json'), 'utf8')) as Json,
    defaultSpec({ rootless: false, uid: 0, gid: 0 }) as unknown as Json,
    defaultSpec({ rootless: true, uid: 1000, gid: 1000 }) as unknown as Json,
  ];
  // Values chosen around the schema's edges: integer ranges, enums, patterns, types.
  const edge = fc.constantFrom<Json>(
    -1,
    0,
    1,
    1.5,
    255,
    256,
    511,
    512,
    65535,
    65536,
    2147483647,
    2147483648,
    -2147483649,
    4294967295,
    4294967296,
    2 ** 63,
    2 ** 64,
    -(2 ** 63),
    '',
    'x',
    'RLIMIT_NOFILE',
    'RLIMIT_nofile',
    '2MB',
    '64kB',
    'c',
    'cb',
    'SCMP_ACT_ALLOW',
    'SCMP_ACT_FOO',
    'user',
    'MPOL_BIND',
    'LINUX',
    '0-3',
    'a-b',
    'MB:0=100',
    null,
    true,
    [],
    {},
    ['x'],
    [1],
  );
  const value = fc.oneof(edge, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>);
  fc.assert(
    fc.property(
      fc.nat(seeds.length - 1),
      fc.array(fc.tuple(fc.nat(), value, fc.boolean()), { minLength: 1, maxLength: 3 }),
      (which, muts) => {
        const doc = structuredClone(seeds[which]);
        for (const [n, v, del] of muts) {
          const all = paths(doc).filter((p) => p.length > 0);
          const path = all[n % all.length];
          let parent: Json = doc;
          for (const k of path.slice(0, -1)) parent = (parent as Record<string, Json>)[k as string] as Json;
          const key = path[path.length - 1];
          if (Array.isArray(parent)) {
            if (del) parent.splice(key as number, 1);
            else parent[key as number] = v;
          } else if (parent !== null && typeof parent === 'object') {
            if (del) delete parent[key as string];
            else parent[key as string] = v;
          }
        }
        const ours = checkSchema(doc).length === 0;
        // ocirt's one deliberate widening: a device fileMode may carry the file type bits (engines
        // send st_mode, runc takes it); the same config with the permission bits alone must pass
        const theirs = official(doc) || (ours && official(devicePermissionBitsOnly(doc)));
        assert.equal(ours, theirs, `verdicts differ on ${JSON.stringify(doc).slice(0, 2000)}\nours: ${JSON.stringify(checkSchema(doc))}`);
      },
    ),
    { numRuns: 3000 },
  );
});
