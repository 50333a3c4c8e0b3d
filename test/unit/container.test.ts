// Lifecycle pieces that need no root: signal parsing, ids, the state store and its lock,
// status derivation. (cgroups: cgroups.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readlinkSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parseSignal } from '../../src/container/signals.ts';
import { StateStore, validateId, type StoredState } from '../../src/container/state-store.ts';
import { deriveStatus, readProcStat } from '../../src/container/status.ts';
import { toRuntimeState } from '../../src/container/runtime-state.ts';
import { defaultStateRoot, rootlessCgroups, runningInUserNamespace } from '../../src/container/rootless.ts';
import { callerIsNsRoot } from '../../src/container/launch.ts';

test('signals: names with and without SIG, numbers, real-time offsets', () => {
  assert.equal(parseSignal(undefined), 15);
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGKILL'), 9);
  assert.equal(parseSignal('sigusr1'), 10);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal(2), 2);
  assert.equal(parseSignal('RTMIN+3'), 37);
  assert.equal(parseSignal('SIGRTMAX-1'), 63);
  assert.throws(() => parseSignal('SIGNOPE'), /unknown signal "SIGNOPE"/);
  assert.equal(parseSignal('0'), 0, 'kill ID 0: a liveness check');
  assert.throws(() => parseSignal('-1'), /unknown signal "-1"/);
  assert.throws(() => parseSignal('65'), /invalid signal number/);
});

test('container ids: no path separators, no dot names', () => {
  assert.equal(validateId('abc_1.2+x-y'), 'abc_1.2+x-y');
  for (const bad of ['', '.', '..', 'a/b', '../x', 'a b', 'a\nb']) assert.throws(() => validateId(bad), /invalid container id/);
});

test('default --root follows runc: /run/ocirt for root, $XDG_RUNTIME_DIR/ocirt otherwise', () => {
  const initialNs = () => false;
  const userNs = () => true;
  assert.equal(defaultStateRoot({}, 0, initialNs), '/run/ocirt');
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/0' }, 0, initialNs), '/run/ocirt');
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000/' }, 1000, initialNs), '/run/user/1000/ocirt');
  assert.equal(defaultStateRoot({}, 1000, initialNs), '');
  // rootless podman: uid 0 in its user namespace, XDG_RUNTIME_DIR of the user
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000', USER: 'alice' }, 0, userNs), '/run/user/1000/ocirt');
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 0, userNs), '/run/user/1000/ocirt');
  // runc keeps /run for USER=root even in a user namespace, and without XDG_RUNTIME_DIR
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/0', USER: 'root' }, 0, userNs), '/run/ocirt');
  assert.equal(defaultStateRoot({}, 0, userNs), '/run/ocirt');
  assert.throws(() => new StateStore(''), /XDG_RUNTIME_DIR is not set; pass --root/);
});

test('a user namespace is told by its uid_map, not by the uid', () => {
  assert.equal(runningInUserNamespace('         0          0 4294967295\n'), false);
  assert.equal(runningInUserNamespace('         0       1000          1\n'), true);
  assert.equal(runningInUserNamespace('         0       1000          1\n         1     100000      65536\n'), true);
  assert.equal(runningInUserNamespace(undefined), false);
});

test('rootless cgroups: --rootless wins; auto means unprivileged or uid 0 of a user namespace', () => {
  assert.equal(
    rootlessCgroups('true', 0, () => false),
    true,
  );
  assert.equal(
    rootlessCgroups('false', 1000, () => true),
    false,
  );
  assert.equal(
    rootlessCgroups('auto', 0, () => false),
    false,
  );
  assert.equal(
    rootlessCgroups('auto', 1000, () => false),
    true,
  );
  assert.equal(
    rootlessCgroups('auto', 0, () => true),
    true,
  );
});

function withStore(fn: (s: StateStore, dir: string) => void) {
  const dir = mkdtempSync('/tmp/ocirt-unit-');
  try {
    fn(new StateStore(join(dir, 'root')), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sample = (id: string, pid: number, startTime: number): StoredState => ({
  ociVersion: '1.3.0',
  id,
  pid,
  pidStartTime: startTime,
  bundle: '/b',
  rootfs: '/b/rootfs',
  created: '2026-01-01T00:00:00.000Z',
  owner: 'root',
  rootless: false,
});

test('state store: create, read back, list, refuse duplicates, remove', () => {
  withStore((s) => {
    s.ensureRoot();
    s.createDir('a');
    s.write(sample('a', 1, 1));
    assert.equal(s.read('a').bundle, '/b');
    assert.throws(() => s.createDir('a'), /already exists/);
    assert.deepEqual(s.list(), ['a']);
    assert.throws(() => s.read('nope'), /container "nope" does not exist/);
    assert.ok(!readdirSync(s.dir('a')).some((n) => n.includes('.tmp-')), 'no temp file left by the atomic write');
    s.remove('a');
    assert.deepEqual(s.list(), []);
  });
});

test('state store lock: exclusive, released, taken over from a dead holder', () => {
  withStore((s) => {
    s.ensureRoot();
    const release = s.lock('x');
    // a symlink naming the holder: it needs no data block, so a full filesystem still locks
    assert.equal(readlinkSync(join(s.root, '.lock-x')), String(process.pid));
    assert.equal(s.lockExists('x'), true);
    release();
    assert.equal(s.lockExists('x'), false);
    // a holder pid that cannot exist: the lock is stale and taken over at once
    symlinkSync('4194304', join(s.root, '.lock-y'));
    s.lock('y')();
    // the regular file an older ocirt wrote its pid into, and the empty one it left on a full
    // filesystem (taken over once older than a create could still be writing it)
    writeFileSync(join(s.root, '.lock-z'), '4194304');
    s.lock('z')();
    writeFileSync(join(s.root, '.lock-e'), '');
    utimesSync(join(s.root, '.lock-e'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    s.lock('e')();
    assert.deepEqual(readdirSync(s.root), [], 'every lock released');
    assert.deepEqual(s.list(), [], 'lock files are not containers');
  });
});

test('status is derived: a pid that is gone or reused reads as stopped; the fifo means created', async () => {
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid!;
  const st = readProcStat(pid)!;
  withStore((_, dir) => {
    const fifo = join(dir, 'exec.fifo');
    assert.equal(deriveStatus(sample('c', pid, st.startTime), fifo), 'running');
    writeFileSync(fifo, '');
    assert.equal(deriveStatus(sample('c', pid, st.startTime), fifo), 'created');
    assert.equal(deriveStatus(sample('c', pid, st.startTime + 1), fifo), 'stopped', 'same pid, other process');
    assert.equal(deriveStatus(sample('c', 0, 0), fifo), 'creating', 'pid 0: create has not started the init (or died first)');
    const stopped = toRuntimeState(sample('c', pid, 0), 'stopped');
    assert.equal(stopped.pid, 0, 'no pid is reported for a stopped container');
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  withStore((_s, dir) => {
    assert.equal(deriveStatus(sample('c', pid, st.startTime), join(dir, 'none')), 'stopped');
  });
});

test('the early-exec path is taken only when our uid and gid both become root of the user namespace', () => {
  const maps = (uid: number, gid: number) => ({
    uidMappings: [
      { containerID: 0, hostID: uid, size: 1 },
      { containerID: 1, hostID: 100000, size: 65536 },
    ],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    writer: 'helpers' as const,
    denySetgroups: false,
  });
  assert.equal(callerIsNsRoot(maps(1000, 1000), 1000, 1000), true, 'rootless: our ids -> 0');
  assert.equal(callerIsNsRoot(maps(1000, 1000), 0, 0), false, 'root running a userns config mapping 0 elsewhere');
  assert.equal(callerIsNsRoot(maps(1000, 2000), 1000, 1000), false, 'our gid is not root there');
  assert.equal(
    callerIsNsRoot({ ...maps(1000, 1000), uidMappings: [{ containerID: 1, hostID: 1000, size: 1 }] }, 1000, 1000),
    false,
    'our uid maps, but not to 0',
  );
});
