// The API (src/api/), as a program uses it: real containers created, run, signalled, exec'd into
// and deleted through a Runtime, root and rootless; typed errors for bad bundles, and nothing left
// behind by a failed create. Rootless runs a driver program as the test user, against the built
// package entry (dist/api/index.js): the API runs in the caller's process, with its privileges.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, BundleError, ContainerError, InitError, OcirtError, Runtime, type ExitStatus } from '../../src/api/index.ts';
import { collect } from '../../src/api/stdio.ts';
import {
  BUSYBOX,
  IS_ROOT,
  PROBE,
  REPO,
  baseConfig,
  hostSnapshot,
  makeBundle,
  newId,
  testUser,
  type Bundle,
  type Config,
} from '../helpers/containers.ts';

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : !BUSYBOX
      ? 'busybox-static is not installed'
      : false;

/** A config running busybox `sh -c script`. */
function shConfig(script: string, mutate?: (c: Config) => void): Config {
  const c = baseConfig();
  c.process.args = ['/bin/sh', '-c', script];
  mutate?.(c);
  return c;
}

describe('API as root', { skip }, () => {
  let bundle: Bundle;
  let stateRoot: string;
  let rt: Runtime;
  const logged: string[] = [];
  before(() => {
    bundle = makeBundle();
    stateRoot = mkdtempSync('/tmp/ocirt-api-root-');
    rt = new Runtime({ root: stateRoot, log: (level, m) => logged.push(`${level}: ${m}`) });
  });
  after(async () => {
    for (const id of readdirSync(stateRoot)) if (!id.startsWith('.')) await rt.delete(id, { force: true }).catch(() => {});
    rmSync(stateRoot, { recursive: true, force: true });
    bundle.cleanup();
  });

  test('run: the exit status, stdout and stdin through pipes, the container deleted afterwards', async () => {
    const id = newId('api-run');
    const r = await rt.run(
      id,
      { config: shConfig('read line; echo "got $line"; echo to-stderr >&2; exit 3'), rootfs: bundle.rootfs },
      { stdio: 'pipe', input: 'hello\n' },
    );
    assert.equal(r.status, 3);
    assert.equal(r.code, 3);
    assert.equal(r.signal, null);
    assert.equal(r.stdout?.toString(), 'got hello\n');
    assert.equal(r.stderr?.toString(), 'to-stderr\n');
    assert.equal(existsSync(join(stateRoot, id)), false, 'state removed');
    await assert.rejects(rt.state(id), (e) => e instanceof ContainerError && e.code === 'not-found' && e.id === id);
  });

  test('run from a bundle directory; a signal death is 128 + the signal', async () => {
    const id = newId('api-runsig');
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sleep', '60'];
    });
    try {
      const running = rt.run(id, b.dir, { stdio: 'ignore' });
      // the kill comes from outside: the namespace's pid 1 ignores its own SIGKILL
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        const s = await rt.state(id).catch(() => undefined);
        if (s?.status === 'running') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await rt.kill(id, 9);
      const r = await running;
      assert.deepEqual({ code: r.code, signal: r.signal, status: r.status }, { code: null, signal: 9, status: 137 });
      assert.equal(existsSync(join(stateRoot, id)), false);
    } finally {
      b.cleanup();
    }
  });

  test('create, start, state, exec, ps, pause/resume, kill and delete a container held as an object', async () => {
    const id = newId('api-held');
    // pid 1 has no default signal actions: the trap makes SIGTERM end it with 7
    const c = await rt.create(
      id,
      { config: shConfig('trap "exit 7" TERM; echo started; while :; do sleep 0.1; done'), rootfs: bundle.rootfs },
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const out = collect(c.stdout);
    assert.equal((await c.state()).status, 'created');
    assert.equal(typeof c.pidfd, 'number');
    assert.ok(c.pid > 1);
    assert.equal(
      readFileSync(`/proc/${c.pid}/status`, 'utf8').match(/^NSpid:\s+\d+\s+(\d+)/m)?.[1],
      '1',
      'the init is pid 1 of its namespace',
    );
    await c.start();
    assert.equal((await c.state()).status, 'running');
    assert.deepEqual(
      (await rt.list()).filter((s) => s.id === id).map((s) => [s.id, s.pid, s.status]),
      [[id, c.pid, 'running']],
    );

    const p = await c.exec(['/bin/sh', '-c', 'echo "exec pid $$"; cat /etc/hostname; exit 5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [status, execOut] = await Promise.all([p.exited, collect(p.stdout)]);
    assert.deepEqual(status, { code: 5, signal: null, status: 5 } satisfies ExitStatus);
    assert.match(execOut?.toString() ?? '', /^exec pid \d+\nbundle\n$/);
    p.close();

    // a whole process object, as `exec -p`
    const q = await c.exec(
      { args: ['/bin/sh', '-c', 'echo $FOO; pwd'], cwd: '/tmp', env: ['FOO=bar'], user: { uid: 0, gid: 0 } },
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const [qs, qOut] = await Promise.all([q.exited, collect(q.stdout)]);
    assert.equal(qs.status, 0);
    assert.equal(qOut?.toString(), 'bar\n/tmp\n');

    assert.ok((await c.ps()).includes(c.pid));
    await c.pause();
    assert.equal((await c.state()).status, 'paused');
    await c.resume();
    assert.equal((await c.state()).status, 'running');

    let stats = 0;
    for await (const e of rt.events(id, { stats: true })) {
      assert.equal(e.type, 'stats');
      assert.equal(e.id, id);
      stats++;
    }
    assert.equal(stats, 1);

    await assert.rejects(c.delete(), (e) => e instanceof ContainerError && e.code === 'wrong-state' && e.status === 'running');
    await assert.rejects(c.start(), (e) => e instanceof ContainerError && e.code === 'wrong-state');
    await c.kill('TERM');
    assert.deepEqual(await c.exited, { code: 7, signal: null, status: 7 });
    assert.equal((await out)?.toString(), 'started\n');
    assert.equal((await c.state()).status, 'stopped');
    await c.delete();
    assert.equal(c.pidfd, undefined, 'delete closes the pidfd');
    assert.equal(existsSync(join(stateRoot, id)), false);
  });

  test('events: a stream of stats until the caller breaks', async () => {
    const id = newId('api-events');
    const c = await rt.create(id, { config: shConfig('sleep 60'), rootfs: bundle.rootfs }, { stdio: 'ignore' });
    try {
      await c.start();
      let n = 0;
      for await (const e of rt.events(id, { intervalMs: 50 })) {
        assert.equal(e.type, 'stats');
        if (++n === 2) break;
      }
      assert.equal(n, 2);
    } finally {
      await c.delete({ force: true });
    }
  });

  test('delete --force of a running container kills it; the exit promise settles', async () => {
    const id = newId('api-force');
    const c = await rt.create(id, { config: shConfig('sleep 60'), rootfs: bundle.rootfs }, { stdio: 'ignore' });
    await c.start();
    const exited = c.exited;
    await c.delete({ force: true });
    assert.equal((await exited).signal, 9);
    await rt.delete(id, { force: true }); // runc: no error for a container that does not exist
  });

  test('update changes the cgroup limit; a bad request is a typed error', async () => {
    const id = newId('api-update');
    const c = await rt.create(id, { config: shConfig('sleep 60'), rootfs: bundle.rootfs }, { stdio: 'ignore' });
    try {
      await rt.update(id, { pids: { limit: 42 } });
      const pidsMax = [`/sys/fs/cgroup/pids/${id}/pids.max`, `/sys/fs/cgroup/${id}/pids.max`].find((f) => existsSync(f));
      assert.ok(pidsMax, 'the container has a pids cgroup');
      assert.equal(readFileSync(pidsMax, 'utf8').trim(), '42');
      await assert.rejects(
        rt.update(id, { pids: { limit: 'many' } } as never),
        (e) => e instanceof BundleError && e.problems.some((p) => p.pointer === '/pids/limit'),
      );
    } finally {
      await c.delete({ force: true });
    }
  });

  test('bad bundles are BundleErrors with located problems; nothing is left behind', async () => {
    const before = hostSnapshot();
    const id = newId('api-bad');
    // no config.json
    const empty = mkdtempSync('/tmp/ocirt-api-empty-');
    try {
      await assert.rejects(rt.create(id, empty), (e) => {
        assert.ok(e instanceof BundleError && e instanceof OcirtError);
        assert.equal(e.code, 'invalid-bundle');
        assert.equal(e.path, join(empty, 'config.json'));
        assert.match(e.problems[0].message, /cannot read config\.json/);
        return true;
      });
    } finally {
      rmSync(empty, { recursive: true });
    }
    // a schema problem and a semantic one in a config value, both reported at once
    const bad = shConfig('true', (c) => {
      c.process.cwd = 'relative';
      c.hostname = 42;
    });
    await assert.rejects(rt.create(id, { config: bad, rootfs: bundle.rootfs }), (e) => {
      assert.ok(e instanceof BundleError);
      assert.deepEqual(e.problems.map((p) => p.pointer).sort(), ['/hostname', '/process/cwd']);
      return true;
    });
    // a rootfs that does not exist
    await assert.rejects(rt.run(id, { config: shConfig('true'), rootfs: '/nonexistent-rootfs' }), (e) => {
      assert.ok(e instanceof BundleError);
      assert.equal(e.pointer, '/root/path');
      return true;
    });
    // validate: the same problems as data, nothing thrown
    const v = await rt.validate({ config: bad, rootfs: bundle.rootfs });
    assert.deepEqual(v.problems.map((p) => p.pointer).sort(), ['/hostname', '/process/cwd']);
    assert.deepEqual((await rt.validate(bundle.dir)).problems, []);
    // a program the init cannot run: an InitError naming the step, after create made everything
    await assert.rejects(
      rt.run(id, { config: shConfig('true', (c) => (c.process.args = ['/no/such/program'])), rootfs: bundle.rootfs }, { stdio: 'ignore' }),
      (e) => {
        assert.ok(e instanceof InitError, String(e));
        assert.equal(e.code, 'init');
        assert.equal(e.errno, 'ENOENT');
        return true;
      },
    );
    assert.deepEqual(
      readdirSync(stateRoot).filter((n) => !n.startsWith('.')),
      [],
      'no state dir',
    );
    assert.deepEqual(hostSnapshot(), before, 'no mount, cgroup or process left');
  });

  test('bad arguments and ids are typed errors', async () => {
    await assert.rejects(rt.kill('nope-' + newId('x'), 'SIGNOPE'), (e) => e instanceof ArgumentError && e.code === 'invalid-argument');
    await assert.rejects(rt.state('../escape'), (e) => e instanceof OcirtError && e.code === 'invalid-argument');
    await assert.rejects(
      rt.create(newId('api-arg'), { config: shConfig('true'), rootfs: bundle.rootfs }, { stdio: 'bogus' as never }),
      (e) => e instanceof ArgumentError,
    );
    const id = newId('api-exists');
    const c = await rt.create(id, { config: shConfig('sleep 60'), rootfs: bundle.rootfs }, { stdio: 'ignore' });
    try {
      await assert.rejects(
        rt.create(id, { config: shConfig('true'), rootfs: bundle.rootfs }),
        (e) => e instanceof ContainerError && e.code === 'exists',
      );
      await c.kill('KILL');
      await c.exited;
      await assert.rejects(c.exec(['true']), (e) => e instanceof ContainerError && e.code === 'wrong-state' && e.status === 'stopped');
    } finally {
      await c.delete({ force: true });
    }
  });

  test('spec() is a valid config; features() lists what is applied', async () => {
    const s = await rt.spec();
    assert.deepEqual((await rt.validate({ config: s, rootfs: bundle.rootfs })).problems, []);
    const r = await rt.spec({ rootless: true });
    assert.ok(r.linux?.namespaces?.some((n) => n.type === 'user'));
    const f = await rt.features();
    assert.equal(f.ociVersionMax, '1.3.0');
  });
});

/** The README's API example, verbatim, from a directory holding rootfs/busybox; ocirt resolved as an installed package. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## API'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README has a js block under "## API"');
  return m[1];
}

function exampleDir(owner?: { uid: number; gid: number }): string {
  const dir = mkdtempSync('/tmp/ocirt-api-example-');
  mkdirSync(join(dir, 'rootfs'));
  copyFileSync(BUSYBOX as string, join(dir, 'rootfs', 'busybox'));
  chmodSync(join(dir, 'rootfs', 'busybox'), 0o755);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'ocirt'));
  writeFileSync(join(dir, 'example.mjs'), readmeExample());
  chmodSync(dir, 0o755);
  if (owner) spawnSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir]);
  return dir;
}

const EXPECTED = [
  /^exit status 3: hello from pid 1\n$/m,
  /^exec works$/m,
  /^exec: \{"code":0,"signal":null,"status":0\}, init pidfd \d+, running$/m,
  /^init: \{"code":null,"signal":9,"status":137\}$/m,
  /^invalid-bundle \/process\/cwd: /m,
];

/** The example's state root emptied through ocirt itself (a container left by an earlier, failed run has cgroups). */
function clearStateRoot(root: string): void {
  for (const id of existsSync(root) ? readdirSync(root) : []) {
    if (!id.startsWith('.')) spawnSync(process.execPath, [join(REPO, 'dist', 'ocirt.cjs'), '--root', root, 'delete', '-f', id]);
  }
  rmSync(root, { recursive: true, force: true });
}

describe('API: the README example, verbatim', { skip }, () => {
  test('as root', () => {
    const dir = exampleDir();
    clearStateRoot('/tmp/ocirt-api-example-0');
    try {
      const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      for (const re of EXPECTED) assert.match(r.stdout, re);
      assert.deepEqual(
        readdirSync('/tmp/ocirt-api-example-0').filter((n) => !n.startsWith('.')),
        [],
        'nothing left in the state root',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      clearStateRoot('/tmp/ocirt-api-example-0');
    }
  });

  test('rootless, as an unprivileged user', () => {
    const user = testUser();
    const dir = exampleDir(user);
    const stateRoot = `/tmp/ocirt-api-example-${user.uid}`;
    clearStateRoot(stateRoot);
    try {
      const r = spawnSync(
        'setpriv',
        [
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          '--init-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          process.execPath,
          'example.mjs',
        ],
        { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: `/home/${user.name}` } },
      );
      assert.equal(r.status, 0, r.stderr);
      for (const re of EXPECTED) assert.match(r.stdout, re);
      assert.deepEqual(
        readdirSync(stateRoot).filter((n) => !n.startsWith('.')),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      clearStateRoot(stateRoot);
    }
  });
});

/** The API as an unprivileged user: a driver program against the package entry, its results as JSON. */
describe('API rootless', { skip }, () => {
  test('create, run, signal, delete and typed errors as an unprivileged user', () => {
    const user = testUser();
    const b = makeBundle(undefined, user);
    const stateRoot = mkdtempSync('/tmp/ocirt-api-rootless-');
    spawnSync('chown', [`${user.uid}:${user.gid}`, stateRoot]);
    const config = baseConfig(user);
    config.process.args = ['/bin/sh', '-c', 'trap "exit 7" TERM; echo "pid $$"; while :; do sleep 0.1; done'];
    const driver = join(b.dir, 'driver.mjs');
    writeFileSync(
      driver,
      `import { Runtime, BundleError, ContainerError } from ${JSON.stringify(join(REPO, 'dist', 'api', 'index.js'))};
const rt = new Runtime({ root: ${JSON.stringify(stateRoot)} });
const config = ${JSON.stringify(config)};
const rootfs = ${JSON.stringify(b.rootfs)};
const out = {};
const c = await rt.create('rl-held', { config, rootfs }, { stdio: ['ignore', 'pipe', 'ignore'] });
let text = '';
c.stdout.on('data', (d) => (text += d));
out.created = (await c.state()).status;
await c.start();
out.running = (await c.state()).status;
const ex = await c.exec(['/bin/sh', '-c', 'exit 4'], { stdio: 'ignore' });
out.exec = await ex.exited;
await c.kill('SIGTERM');
out.exited = await c.exited;
await new Promise((r) => setTimeout(r, 100));
out.stdout = text;
await c.delete();
out.left = (await rt.list()).length;
config.process.args = ['/bin/sh', '-c', 'exit 9'];
out.run = (await rt.run('rl-run', { config, rootfs }, { stdio: 'ignore' })).status;
try {
  await rt.create('rl-bad', { config: { ...config, process: { ...config.process, cwd: 'relative' } }, rootfs });
} catch (e) {
  out.error = { bundleError: e instanceof BundleError, code: e.code, pointer: e.pointer };
}
try {
  await rt.state('rl-held');
} catch (e) {
  out.gone = { containerError: e instanceof ContainerError, code: e.code };
}
out.finalLeft = (await rt.list()).length;
console.log(JSON.stringify(out));
`,
    );
    spawnSync('chown', [`${user.uid}:${user.gid}`, driver]);
    try {
      const r = spawnSync(
        'setpriv',
        [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, driver],
        { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: `/home/${user.name}` } },
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
      assert.deepEqual(out, {
        created: 'created',
        running: 'running',
        exec: { code: 4, signal: null, status: 4 },
        exited: { code: 7, signal: null, status: 7 },
        stdout: 'pid 1\n',
        left: 0,
        run: 9,
        error: { bundleError: true, code: 'invalid-bundle', pointer: '/process/cwd' },
        gone: { containerError: true, code: 'not-found' },
        finalLeft: 0,
      });
    } finally {
      spawnSync(process.execPath, [join(REPO, 'dist', 'ocirt.cjs'), '--root', stateRoot, 'delete', '-f', 'rl-held']);
      rmSync(stateRoot, { recursive: true, force: true });
      b.cleanup();
    }
  });
});
