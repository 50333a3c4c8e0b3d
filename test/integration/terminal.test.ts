// Terminals for create, run and exec, as root and as an unprivileged user: the pty is made inside
// the container and owned by the process's user; its master goes over --console-socket (connected
// by the runtime) before the command returns, or is relayed by a foreground run/exec with the
// bytes unchanged, input forwarded and the window size followed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as native from '../../src/native.ts';
import {
  BUSYBOX,
  IS_ROOT,
  PROBE,
  REPO,
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
      ? 'busybox-static not installed'
      : false;
const PTY_RUN = join(REPO, 'test', 'helpers', 'pty-run.py');

interface PtyResult {
  status: number;
  output: string;
}

/** ocirt on a fresh pty of its own (test/helpers/pty-run.py), as at a person's terminal. */
function onPty(r: Runner, args: string[], opts: string[] = []): PtyResult {
  // ocirt's warnings (a rootless run without a delegated cgroup has one) go to a log file: the
  // terminal carries the container's input and output only
  const { argv, env } = r.command(['--log', join(r.root, '.pty-log'), ...args]);
  const res = spawnSync('python3', [PTY_RUN, ...opts, '--', ...argv], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, `pty-run: ${res.stderr}`);
  const out = JSON.parse(res.stdout) as { status: number; output: string };
  return { status: out.status, output: Buffer.from(out.output, 'base64').toString('latin1') };
}

/** Everything a pty master gives until the last slave is closed. */
function drain(master: number): string {
  let text = '';
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n = 0;
    try {
      n = readSync(master, buf);
    } catch {
      break; // EIO: no slave open any more
    }
    if (n <= 0) break;
    text += buf.subarray(0, n).toString('latin1');
  }
  return text;
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`terminals, ${mode}`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    let sockDir: string;
    const bundles: Bundle[] = [];
    const bundle = (mutate?: (c: Config) => void) => {
      const b = makeBundle((c) => {
        c.process.terminal = true;
        mutate?.(c);
      }, user);
      bundles.push(b);
      return b;
    };

    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
      // only its owner may enter: a process of a user namespace mapping root elsewhere may not
      sockDir = mkdtempSync('/tmp/ocirt-console-');
      chmodSync(sockDir, 0o700);
      if (user) spawnSync('chown', [`${user.uid}:${user.gid}`, sockDir]);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
      rmSync(sockDir, { recursive: true, force: true });
    });

    test('run relays the terminal: output unchanged, input forwarded, the exit status passed on', () => {
      const b = bundle((c) => (c.process.args = ['sh', '-c', 'printf "one\\ntwo\\n"; read line; echo "got:$line"; exit 3']));
      const res = onPty(r, ['run', '-b', b.dir, newId('relay')], ['--input', 'typed\r']);
      assert.equal(res.status, 3, res.output);
      // the container's pty turns \n into \r\n once; ocirt's own terminal must not do it again
      assert.equal(res.output, 'one\r\ntwo\r\ntyped\r\ngot:typed\r\n');
      assert.deepEqual(stateDirs(r), []);
    });

    test("the pty is the process's controlling terminal, in the container's devpts, owned by its user", () => {
      const uid = mode === 'root' ? 1000 : 0;
      const b = bundle((c) => {
        c.process.user = { uid, gid: uid };
        c.process.args = ['sh', '-c', 't=$(busybox tty); echo $t; /bin/probe stat $t'];
      });
      const res = onPty(r, ['run', '-b', b.dir, newId('owner')]);
      assert.equal(res.status, 0, res.output);
      const lines = res.output.split('\r\n');
      assert.equal(lines[0], '/dev/pts/0', "the first pty of the container's own devpts instance");
      const st = JSON.parse(lines[1]!) as { type: string; uid: number; rdev_major: number };
      assert.equal(st.type, 'char');
      assert.equal(st.uid, uid, "owned by the process's user");
    });

    test("SIGWINCH: the container's terminal follows ocirt's", () => {
      const b = bundle((c) => (c.process.args = ['sh', '-c', 'busybox stty size; echo mark; sleep 1; busybox stty size']));
      const res = onPty(r, ['run', '-b', b.dir, newId('winch')], ['--rows', '30', '--cols', '100', '--resize', '40', '120', 'mark']);
      assert.equal(res.status, 0, res.output);
      assert.equal(res.output, '30 100\r\nmark\r\n40 120\r\n');
    });

    test("a /dev/ptmx listed in linux.devices does not replace the container's own", () => {
      const b = bundle((c) => {
        c.linux.devices = [{ path: '/dev/ptmx', type: 'c', major: 5, minor: 2, fileMode: 0o666, uid: 0, gid: 0 }];
        c.process.args = ['sh', '-c', 'busybox tty; ls -l /dev/ptmx'];
      });
      const res = onPty(r, ['run', '-b', b.dir, newId('ptmx')]);
      assert.equal(res.status, 0, res.output);
      assert.match(res.output, /^\/dev\/pts\/0\r\n.*\/dev\/ptmx -> pts\/ptmx\r\n$/);
    });

    test('create --console-socket: the master arrives before create returns, consoleSize applied', () => {
      const b = bundle((c) => {
        c.process.consoleSize = { height: 33, width: 77 };
        c.process.args = ['sh', '-c', 'busybox stty size; echo done'];
        if (mode === 'root') {
          // a user namespace mapping root elsewhere: its processes cannot reach the socket's dir
          c.linux.namespaces.push({ type: 'user' });
          c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
          c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
          c.mounts = c.mounts.map((m: Config) =>
            m.destination === '/sys'
              ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
              : m,
          );
        }
      });
      const sock = join(sockDir, `c-${Date.now()}.sock`);
      const listener = native.unixListen(sock);
      if (user) spawnSync('chown', [`${user.uid}:${user.gid}`, sock]);
      const id = newId('sock');
      try {
        const created = r.run(['create', '-b', b.dir, '--console-socket', sock, id]);
        assert.equal(created.status, 0, created.stderr);
        const conn = native.acceptFd(listener);
        const got = native.recvFd(conn, true); // there already
        native.closeFd(conn);
        assert.equal(got.data, '/dev/ptmx');
        assert.equal(r.run(['start', id]).status, 0);
        assert.equal(drain(got.fd), '33 77\r\ndone\r\n');
        native.closeFd(got.fd);
      } finally {
        native.closeFd(listener);
        r.run(['delete', '-f', id]);
      }
    });

    test("a create that fails does not leave the console socket's peer waiting", () => {
      const b = bundle((c) => c.mounts.push({ destination: '/x', type: 'nosuchfs', source: 'none' }));
      const sock = join(sockDir, `f-${Date.now()}.sock`);
      const listener = native.unixListen(sock);
      if (user) spawnSync('chown', [`${user.uid}:${user.gid}`, sock]);
      try {
        const res = r.run(['create', '-b', b.dir, '--console-socket', sock, newId('sockfail')]);
        assert.equal(res.status, 1);
        const conn = native.acceptFd(listener);
        // the connection is closed: an error at once, not a wait
        assert.throws(() => native.recvFd(conn), /no fd|EPIPE|ECONNRESET/);
        native.closeFd(conn);
        assert.deepEqual(stateDirs(r), []);
      } finally {
        native.closeFd(listener);
      }
    });

    test("runc's rules: a detached terminal needs --console-socket, which is only for that", () => {
      const b = bundle((c) => (c.process.args = ['sh']));
      const detached = r.run(['run', '-d', '-b', b.dir, newId('rules')]);
      assert.equal(detached.status, 1);
      assert.match(detached.stderr, /cannot allocate a terminal for a detached container without --console-socket/);
      const fg = r.run(['run', '--console-socket', join(sockDir, 'x.sock'), '-b', b.dir, newId('rules')]);
      assert.equal(fg.status, 1);
      assert.match(fg.stderr, /--console-socket is only for a detached container with a terminal/);
      const noTty = makeBundle((c) => (c.process.args = ['sh']), user);
      bundles.push(noTty);
      const plain = r.run(['create', '--console-socket', join(sockDir, 'x.sock'), '-b', noTty.dir, newId('rules')]);
      assert.equal(plain.status, 1);
      assert.match(plain.stderr, /process\.terminal is false/);
      assert.deepEqual(stateDirs(r), []);
    });

    describe('exec', () => {
      let id: string;
      before(() => {
        const b = makeBundle((c) => (c.process.args = ['/bin/probe', 'sleep', '600']), user);
        bundles.push(b);
        id = newId('exec-tty');
        const res = r.run(['run', '-d', '-b', b.dir, id]);
        assert.equal(res.status, 0, res.stderr);
      });

      test("exec -t relays a terminal of the container, of ocirt's terminal's size from the start", () => {
        const res = onPty(
          r,
          ['exec', '-t', id, 'sh', '-c', 'busybox stty size; busybox tty; printf "x\\ny\\n"; exit 5'],
          ['--rows', '20', '--cols', '60'],
        );
        assert.equal(res.status, 5, res.output);
        assert.match(res.output, /^20 60\r\n\/dev\/pts\/\d+\r\nx\r\ny\r\n$/);
      });

      test('exec -t -d --console-socket: the master is there when exec returns', () => {
        const sock = join(sockDir, `e-${Date.now()}.sock`);
        const listener = native.unixListen(sock);
        if (user) spawnSync('chown', [`${user.uid}:${user.gid}`, sock]);
        try {
          const res = r.run(['exec', '-t', '-d', '--console-socket', sock, id, 'sh', '-c', 'busybox tty; echo fine']);
          assert.equal(res.status, 0, res.stderr);
          const conn = native.acceptFd(listener);
          const got = native.recvFd(conn, true);
          native.closeFd(conn);
          assert.match(drain(got.fd), /^\/dev\/pts\/\d+\r\nfine\r\n$/);
          native.closeFd(got.fd);
        } finally {
          native.closeFd(listener);
        }
        const noSock = r.run(['exec', '-t', '-d', id, 'sh']);
        assert.equal(noSock.status, 1);
        assert.match(noSock.stderr, /cannot allocate a terminal for a detached exec without --console-socket/);
        const noTty = r.run(['exec', '-d', '--console-socket', sock, id, 'sh']);
        assert.equal(noTty.status, 1);
        assert.match(noTty.stderr, /--console-socket is only for a detached exec with a terminal/);
        assert.equal(json(r.run(['state', id])).status, 'running');
      });
    });
  });
}
