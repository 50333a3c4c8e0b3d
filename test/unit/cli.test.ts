// The built CLI (bin/ocirt -> dist/ocirt.cjs), run as engines and users run it. Build first:
// `node scripts/build.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run as specRun } from '../../src/cli/spec.ts';
import type { CommandContext } from '../../src/cli/context.ts';
import { OcirtError } from '../../src/errors.ts';

const BIN = resolve(process.cwd(), 'bin', 'ocirt');
const built = existsSync(resolve(process.cwd(), 'dist', 'ocirt.cjs'));
const skip = built ? false : 'dist/ocirt.cjs not built: run `node scripts/build.mjs` first';

function ocirt(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(BIN, args, { cwd, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempBundle(): string {
  return mkdtempSync(join(tmpdir(), 'ocirt-cli-'));
}

test('--version prints version, commit and spec version', { skip }, () => {
  const r = ocirt(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^ocirt version \d+\.\d+\.\d+\ncommit: \S+\nspec: 1\.3\.0\n$/);
  // as runc: global flags may come with it (engines pass --root/--log to every call)
  for (const argv of [
    ['--root', '/tmp/x', '--version'],
    ['--log=/dev/null', '--debug', '-v'],
  ]) {
    const g = ocirt(argv);
    assert.equal(g.status, 0, `${argv.join(' ')}: ${g.stderr}`);
    assert.equal(g.stdout, r.stdout);
  }
});

test('unknown flag and unknown command exit 1 naming them', { skip }, () => {
  let r = ocirt(['validate', '--frobnicate']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /frobnicate/);
  r = ocirt(['frobnicate']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /frobnicate/);
});

test('spec writes a valid config and refuses to overwrite it', { skip }, () => {
  const dir = tempBundle();
  try {
    let r = ocirt(['spec', '-b', dir]);
    assert.equal(r.status, 0, r.stderr);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { ociVersion: string };
    assert.equal(config.ociVersion, '1.3.0');
    r = ocirt(['spec', '-b', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /config\.json already exists/);
    mkdirSync(join(dir, 'rootfs'));
    r = ocirt(['validate', '-b', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${join(dir, 'config.json')}: valid\n`);
    r = ocirt(['spec', '-b', join(dir, 'missing')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spec --rootless has a user namespace mapping the caller', { skip }, () => {
  const dir = tempBundle();
  try {
    const r = ocirt(['spec', '--rootless', '-b', dir]);
    assert.equal(r.status, 0, r.stderr);
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
      linux: { namespaces: { type: string }[]; uidMappings: { hostID: number }[]; gidMappings: { hostID: number }[] };
    };
    assert.ok(c.linux.namespaces.some((n) => n.type === 'user'));
    assert.equal(c.linux.uidMappings[0].hostID, process.geteuid!());
    assert.equal(c.linux.gidMappings[0].hostID, process.getegid!());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spec command module: rootless ids, refusal to overwrite, missing directory', () => {
  const ctx = {
    globals: { root: '', logFormat: 'text', debug: false, systemdCgroup: false, rootless: 'auto' },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  } as CommandContext;
  const dir = tempBundle();
  try {
    assert.equal(specRun({ _: [], bundle: dir, rootless: true }, ctx), 0);
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { linux: { uidMappings: { hostID: number }[] } };
    assert.equal(c.linux.uidMappings[0].hostID, process.geteuid!());
    assert.throws(
      () => specRun({ _: [], bundle: dir }, ctx),
      (e: unknown) => e instanceof OcirtError && e.message.includes(join(dir, 'config.json')),
    );
    assert.throws(() => specRun({ _: [], bundle: join(dir, 'nope') }, ctx), /does not exist/);
    const text = readFileSync(join(dir, 'config.json'), 'utf8');
    assert.match(text, /^\{\n\t"ociVersion"/, 'tab-indented like runc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validate reports five mistakes with their line:column', { skip }, () => {
  const dir = tempBundle();
  try {
    mkdirSync(join(dir, 'rootfs'));
    const lines = [
      '{',
      '\t"ociVersion": "1.3.0",',
      '\t"root": {"path": "rootfs"},',
      '\t"process": {',
      '\t\t"cwd": "relative",', // 1: line 5, col 10
      '\t\t"args": ["sh"],',
      '\t\t"terminal": "yes",', // 2: line 7, col 15
      '\t\t"capabilities": {"bounding": ["CAP_KILL", "CAP_TEST"]}', // 3: line 8, col 45
      '\t},',
      '\t"mounts": [{"destination": "/dev", "type": "tmpfs", "options": ["nosiud"]}],', // 4: line 10, col 66
      '\t"linux": {"namespaces": [{"type": "pid"}, {"type": "bogus"}]}', // 5: line 11, col 53
      '}',
    ];
    writeFileSync(join(dir, 'config.json'), lines.join('\n') + '\n');
    const r = ocirt(['validate'], dir);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    const out = r.stderr.trimEnd().split('\n');
    assert.equal(out.length, 5, r.stderr);
    const where = out.map((l) => l.split(': ').slice(0, 2).join(': '));
    assert.deepEqual(where, [
      'config.json:5:10: /process/cwd',
      'config.json:7:15: /process/terminal',
      'config.json:8:45: /process/capabilities/bounding/1',
      'config.json:10:66: /mounts/0/options/0',
      'config.json:11:53: /linux/namespaces/1/type',
    ]);
    for (const l of out) {
      const m = /^config\.json:(\d+):(\d+): /.exec(l)!;
      const at = lines[Number(m[1]) - 1].slice(Number(m[2]) - 1);
      assert.match(at, /^"/, `${l} points at a string value`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
