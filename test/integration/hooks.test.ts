// OCI hooks, as root and rootless: all six kinds in the runtime-spec v1.3.0 order, each in the
// namespaces config.md gives it, with the state on stdin, its args and env, a timeout that kills
// it, its output in the log, and runtime.md's failure rules (a failing prestart, createRuntime,
// createContainer, startContainer or poststart hook is an error that stops and destroys the
// container before the poststop hooks run; a failing poststop hook is a warning).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUSYBOX,
  IS_ROOT,
  PROBE,
  hostSnapshot,
  json,
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
    : !BUSYBOX
      ? 'busybox-static is needed for the hook scripts'
      : false;

const BB = '/bin/busybox'; // the host's, and the copy in the test rootfs: the same path in both

/**
 * A hook script (run by sh -c) that appends one tab-separated line to $OUT: the kind, its mount
 * namespace, the UTS hostname, its argv[0], whether the container's /proc is mounted under $ROOTFS
 * (true only inside the container's mount namespace before pivot_root), $EXTRA, its stdin.
 */
const RECORD = [
  `state=$(${BB} cat)`,
  `mnt=$(${BB} readlink /proc/self/ns/mnt)`,
  `host=$(${BB} cat /proc/sys/kernel/hostname)`,
  'argv0=$0', // sh -c without a command name: its own argv[0]
  'mounted=no; [ -e "$ROOTFS/proc/1/status" ] && mounted=yes',
  `printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$KIND" "$mnt" "$host" "$argv0" "$mounted" "$EXTRA" "$state" >> "$OUT"`,
].join('; ');

interface Line {
  kind: string;
  mnt: string;
  hostname: string;
  argv0: string;
  mounted: string;
  extra: string;
  state: { ociVersion: string; id: string; status: string; pid: number; bundle: string; annotations?: Record<string, string> };
}

function lines(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t')) // the program writes a line of its own
    .map((l) => {
      const [kind, mnt, hostname, argv0, mounted, extra, state] = l.split('\t');
      return { kind, mnt, hostname, argv0, mounted, extra, state: JSON.parse(state) as Line['state'] };
    });
}

/** A process whose command line holds `marker` (a hook's sleep that should have been killed). */
function processWith(marker: string): boolean {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(marker)) return true;
    } catch {
      // exited
    }
  }
  return false;
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`${mode}: hooks`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    let outDir: string;
    const outDirs: string[] = [];
    const bundles: Bundle[] = [];

    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
      // also those of a test that failed half-way
      for (const d of outDirs) rmSync(d, { recursive: true, force: true });
    });

    /** A bundle whose hooks record into <out>/log (the container sees the directory at /out). */
    const setup = (
      hooks: (rec: (kind: string, extra?: Record<string, unknown>) => Record<string, unknown>) => Config['hooks'],
      mutate?: (c: Config) => void,
    ) => {
      outDir = mkdtempSync('/tmp/ocirt-hooks-out-');
      outDirs.push(outDir);
      if (user) chownSync(outDir, user.uid, user.gid);
      const out = join(outDir, 'log');
      let rootfs = '';
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sh', '-c', 'echo program >> /out/log; exec /bin/probe sleep 60'];
        c.annotations = { 'org.example.hooks': 'yes' };
        c.mounts.push({ destination: '/out', type: 'bind', source: outDir, options: ['rbind', 'rw'] });
        mutate?.(c);
      }, user);
      rootfs = b.rootfs;
      const rec = (kind: string, extra: Record<string, unknown> = {}) => {
        const inContainer = kind === 'startContainer';
        return {
          path: '/bin/sh',
          // the container's sh is busybox, which takes argv[0] as the applet's name
          args: [inContainer ? 'sh' : `hook-${kind}`, '-c', RECORD],
          env: [`KIND=${kind}`, `OUT=${inContainer ? '/out/log' : out}`, `ROOTFS=${inContainer ? '' : rootfs}`, `EXTRA=${kind}-env`],
          ...extra,
        };
      };
      b.config.hooks = hooks(rec);
      b.write();
      bundles.push(b);
      return { b, out, log: () => lines(out), raw: () => (existsSync(out) ? readFileSync(out, 'utf8') : '') };
    };

    test('all six kinds run in order, in their namespaces, with the state, args and env', () => {
      const before = hostSnapshot();
      const { b, log, raw } = setup((rec) => ({
        prestart: [rec('prestart')],
        createRuntime: [rec('createRuntime')],
        createContainer: [rec('createContainer')],
        startContainer: [rec('startContainer')],
        poststart: [rec('poststart')],
        poststop: [rec('poststop')],
      }));
      const id = newId('hooks');
      const created = r.run(['create', '-b', b.dir, id]);
      assert.equal(created.status, 0, created.stderr);
      assert.deepEqual(
        log().map((l) => l.kind),
        ['prestart', 'createRuntime', 'createContainer'],
        'create runs these three',
      );
      const st = json<{ pid: number }>(r.run(['state', id]));
      const hostMnt = readlinkSync('/proc/self/ns/mnt');
      const containerMnt = readlinkSync(`/proc/${st.pid}/ns/mnt`);
      const hostName = readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();

      const started = r.run(['start', id]);
      assert.equal(started.status, 0, started.stderr);
      assert.deepEqual(
        raw()
          .split('\n')
          .filter((l) => !l.includes('\t')),
        ['program', ''],
        'the program ran once',
      );
      const del = r.run(['delete', '--force', id]);
      assert.equal(del.status, 0, del.stderr);

      const all = log();
      assert.deepEqual(
        all.map((l) => l.kind),
        ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
      );
      const at = (k: string) => all.find((l) => l.kind === k)!;
      // (poststart runs once the program is exec'd, which says nothing about when it writes)
      assert.ok(raw().indexOf('startContainer') < raw().indexOf('program'), 'startContainer before the program');
      for (const k of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
        assert.equal(at(k).mnt, hostMnt, `${k} runs in the runtime's mount namespace`);
        assert.equal(at(k).hostname, hostName, `${k} runs in the runtime's UTS namespace`);
        assert.equal(at(k).mounted, 'no', `${k} does not see the container's mounts`);
      }
      for (const k of ['createContainer', 'startContainer']) {
        assert.equal(at(k).mnt, containerMnt, `${k} runs in the container's mount namespace`);
        assert.equal(at(k).hostname, 'ocirt-test', `${k} runs in the container's UTS namespace`);
      }
      assert.equal(
        at('createContainer').mounted,
        'yes',
        'createContainer: after the mounts, before pivot_root (the host path still resolves)',
      );
      for (const l of all) {
        assert.equal(l.argv0, l.kind === 'startContainer' ? 'sh' : `hook-${l.kind}`, 'args[0] is argv[0]');
        assert.equal(l.extra, `${l.kind}-env`, "the hook's env");
        assert.equal(l.state.id, id);
        assert.equal(l.state.bundle, b.dir);
        assert.equal(l.state.ociVersion, '1.3.0');
        assert.deepEqual(l.state.annotations, { 'org.example.hooks': 'yes' });
        if (l.kind !== 'poststop') assert.equal(l.state.pid, st.pid, `${l.kind}: the container's pid as the runtime sees it`);
      }
      assert.deepEqual(
        all.map((l) => l.state.status),
        ['created', 'created', 'created', 'created', 'running', 'stopped'],
      );
      assert.deepEqual(stateDirs(r), []);
      assert.deepEqual(hostSnapshot(), before);
      rmSync(outDir, { recursive: true, force: true });
    });

    test("run in the foreground runs the hooks too, and exits with the program's status", () => {
      const { b, log } = setup(
        (rec) => ({
          prestart: [rec('prestart')],
          createContainer: [rec('createContainer')],
          startContainer: [rec('startContainer')],
          poststart: [rec('poststart')],
          poststop: [rec('poststop')],
        }),
        (c) => (c.process.args = ['/bin/sh', '-c', 'exit 7']),
      );
      const res = r.run(['run', '-b', b.dir, newId('hookrun')]);
      assert.equal(res.status, 7, res.stderr);
      assert.deepEqual(
        log().map((l) => l.kind),
        ['prestart', 'createContainer', 'startContainer', 'poststart', 'poststop'],
      );
      assert.deepEqual(stateDirs(r), []);
      rmSync(outDir, { recursive: true, force: true });
    });

    const failing = (kind: string, extra: Record<string, unknown> = {}) => ({
      path: '/bin/sh',
      args: ['sh', '-c', `echo "${kind} says no" >&2; exit 3`],
      ...extra,
    });

    for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
      test(`a failing ${kind} hook fails create: clear error in the log, nothing left, poststop runs`, () => {
        const before = hostSnapshot();
        const { b, log, raw } = setup((rec) => ({ [kind]: [failing(kind)], poststop: [rec('poststop')] }));
        const id = newId(`fail-${kind}`);
        const logFile = join(r.root, `.log-${id}`);
        const res = r.run(['--log', logFile, '--log-format', 'json', 'create', '-b', b.dir, id]);
        assert.equal(res.status, 1);
        const want = new RegExp(`config\\.json /hooks/${kind}/0: .*${kind} hook /bin/sh.*exited with status 3: ${kind} says no`);
        assert.match(res.stderr, want);
        const last = JSON.parse(readFileSync(logFile, 'utf8').trim().split('\n').pop()!) as { level: string; msg: string };
        assert.equal(last.level, 'error');
        assert.match(last.msg, want, "the hook's stderr reaches the log");
        assert.deepEqual(
          log().map((l) => l.kind),
          ['poststop'],
          'the poststop hooks run after the failed create',
        );
        assert.ok(!raw().includes('program'));
        assert.equal(r.run(['state', id]).status, 1, 'no container left');
        assert.deepEqual(stateDirs(r), []);
        assert.deepEqual(hostSnapshot(), before);
        rmSync(logFile, { force: true });
        rmSync(outDir, { recursive: true, force: true });
      });
    }

    for (const kind of ['startContainer', 'poststart'] as const) {
      test(`a failing ${kind} hook fails start: the container is stopped and destroyed, poststop runs`, () => {
        const before = hostSnapshot();
        const { b, log, raw } = setup((rec) => ({ [kind]: [failing(kind)], poststop: [rec('poststop')] }));
        const id = newId(`fail-${kind}`);
        assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
        const res = r.run(['start', id]);
        assert.equal(res.status, 1);
        assert.match(res.stderr, new RegExp(`config\\.json /hooks/${kind}/0: ${kind} hook /bin/sh: exited with status 3: ${kind} says no`));
        assert.deepEqual(
          log().map((l) => l.kind),
          ['poststop'],
        );
        assert.equal(raw().includes('program'), kind === 'poststart', 'poststart runs after the program started');
        const gone = r.run(['state', id]);
        assert.equal(gone.status, 1);
        assert.match(gone.stderr, /does not exist/);
        assert.deepEqual(stateDirs(r), []);
        assert.deepEqual(hostSnapshot(), before, 'the program was killed, its cgroup removed');
        rmSync(outDir, { recursive: true, force: true });
      });
    }

    test('a failing poststop hook is a warning: delete succeeds and the next poststop hook runs', () => {
      const { b, log } = setup((rec) => ({ poststop: [failing('poststop'), rec('poststop')] }));
      const id = newId('fail-poststop');
      const logFile = join(r.root, `.log-${id}`);
      assert.equal(r.run(['run', '-d', '-b', b.dir, id]).status, 0);
      const del = r.run(['--log', logFile, '--log-format', 'json', 'delete', '-f', id]);
      assert.equal(del.status, 0, del.stderr);
      assert.deepEqual(
        log().map((l) => l.kind),
        ['poststop'],
      );
      const entries = readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { level: string; msg: string });
      assert.ok(
        entries.some(
          (e) =>
            e.level === 'warning' && /\/hooks\/poststop\/0: poststop hook \/bin\/sh: exited with status 3: poststop says no/.test(e.msg),
        ),
        JSON.stringify(entries),
      );
      assert.deepEqual(stateDirs(r), []);
      rmSync(logFile, { force: true });
      rmSync(outDir, { recursive: true, force: true });
    });

    for (const kind of ['createRuntime', 'createContainer'] as const) {
      test(`a ${kind} hook that outlives its timeout is killed and fails create`, () => {
        const marker = String(3000 + Math.floor(Math.random() * 900)) + (kind === 'createRuntime' ? '1' : '2');
        const { b } = setup(() => ({ [kind]: [{ path: BB, args: ['sleep', marker], timeout: 1 }] }));
        const id = newId(`timeout-${kind}`);
        const res = r.run(['create', '-b', b.dir, id]);
        assert.equal(res.status, 1);
        assert.match(res.stderr, new RegExp(`/hooks/${kind}/0: .*timed out after 1s and was killed`));
        assert.equal(processWith(marker), false, 'the hook was killed');
        assert.deepEqual(stateDirs(r), []);
        rmSync(outDir, { recursive: true, force: true });
      });
    }

    test("a successful hook's output goes to the log as info", () => {
      const { b } = setup(() => ({ createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo configured eth0 >&2'] }] }));
      const id = newId('hookout');
      const logFile = join(r.root, `.log-${id}`);
      assert.equal(r.run(['--log', logFile, '--log-format', 'json', 'create', '-b', b.dir, id]).status, 0);
      // nothing else writes to that log: without the hook's line it is not even created
      const text = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim() : '';
      const entries = text ? text.split('\n').map((l) => JSON.parse(l) as { level: string; msg: string }) : [];
      assert.equal(r.run(['delete', '-f', id]).status, 0);
      assert.ok(
        entries.some((e) => e.level === 'info' && e.msg === 'createRuntime hook /bin/sh: configured eth0'),
        `the hook's output in the log: ${JSON.stringify(entries)}`,
      );
      rmSync(logFile, { force: true });
      rmSync(outDir, { recursive: true, force: true });
    });

    test("hooks are the config's at create: a changed config.json does not change them", () => {
      const { b, log } = setup((rec) => ({ poststop: [rec('poststop')] }));
      const id = newId('frozen');
      assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
      b.config.hooks = {};
      b.write();
      assert.equal(r.run(['delete', '-f', id]).status, 0);
      assert.deepEqual(
        log().map((l) => l.kind),
        ['poststop'],
      );
      rmSync(outDir, { recursive: true, force: true });
    });
  });
}
