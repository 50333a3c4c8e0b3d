// No container config may change the owner or mode of a host device node: not a node of the host
// reached through a bind mount and named again in linux.devices, not the host nodes a user
// namespace binds instead of mknod, not the host's /dev/null the runtime's stdio may be, not the
// host's ptmx when the container gets a terminal.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { newId, runner, testUser, type Bundle, type Config, type Runner, type User } from '../helpers/containers.ts';
import { SKIP, attackBundle, nodeIdentity, runWithFds } from '../helpers/security.ts';
import * as native from '../../src/native.ts';

const HOST_NODES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/ptmx', '/dev/pts/ptmx'];
const identities = () => Object.fromEntries(HOST_NODES.map((p) => [p, nodeIdentity(p)]));

for (const mode of ['root', 'rootless'] as const) {
  describe(`host device nodes keep their owner and mode (${mode})`, { skip: SKIP }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      bundles.forEach((b) => b.cleanup());
    });
    const devs = (list: object[]) => (c: Config) => {
      c.process.args = ['/bin/probe', 'exit', '0'];
      c.process.user = mode === 'root' ? { uid: 1000, gid: 1000 } : { uid: 0, gid: 0 };
      c.linux.devices = list;
    };

    test('linux.devices naming a host node reached through a bind mount', (t) => {
      if (mode === 'rootless') return t.skip('rootless devices are bound, never made or changed (next test)');
      const dir = mkdtempSync('/tmp/ocirt-sec-dev-');
      try {
        // a host device node the test owns, 0600 root:root, bound into the container
        execFileSync('mknod', ['-m', '0600', join(dir, 'nullish'), 'c', '1', '3']);
        const before = nodeIdentity(join(dir, 'nullish'));
        const b = attackBundle(
          devs([{ path: '/dev/hostdev/nullish', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 1234, gid: 1234 }]),
        );
        bundles.push(b);
        b.config.mounts.push({ destination: '/dev/hostdev', type: 'bind', source: dir, options: ['bind'] });
        b.write();
        const o = r.run(['run', '-b', b.dir, newId('hostdev')]);
        assert.equal(nodeIdentity(join(dir, 'nullish')), before, `the host node changed (run: ${o.status} ${o.stderr})`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('devices bound from the host (a user namespace) with another mode and owner', () => {
      const before = identities();
      const b = attackBundle(
        devs([
          { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 0, gid: 0 },
          { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o777, uid: 0, gid: 0 },
        ]),
        user,
      );
      bundles.push(b);
      if (!user) {
        // root running a user namespace: devices are bound from the host as for rootless
        b.config.linux.namespaces.push({ type: 'user' });
        b.config.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        b.config.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        b.config.process.user = { uid: 0, gid: 0 };
        b.write();
      }
      const o = r.run(['run', '-b', b.dir, newId('bound')]);
      assert.equal(o.status, 0, o.stderr);
      assert.deepEqual(identities(), before);
    });

    test("stdio that is the host's /dev/null", async () => {
      const before = identities();
      const b = attackBundle(devs([]), user);
      bundles.push(b);
      const nul = openSync('/dev/null', 'r+');
      try {
        const o = await runWithFds(r, ['run', '-b', b.dir, newId('stdio')], []);
        assert.equal(o.status, 0, o.stderr);
        // stdin, stdout and stderr all the host's /dev/null
        const { argv, env } = r.command(['run', '-b', b.dir, newId('stdio')]);
        execFileSync(argv[0], argv.slice(1), { env, stdio: [nul, nul, nul] });
      } finally {
        closeSync(nul);
      }
      assert.deepEqual(identities(), before);
    });

    test('a terminal (console socket) for a non-root container user', () => {
      const before = identities();
      const b = attackBundle((c) => {
        devs([])(c);
        c.process.terminal = true;
      }, user);
      bundles.push(b);
      const sock = join(r.root, `console-${process.pid}.sock`);
      const listener = native.unixListen(sock);
      if (user) execFileSync('chown', [`${user.uid}:${user.gid}`, sock]);
      const id = newId('tty');
      try {
        const c = r.run(['create', '--console-socket', sock, '-b', b.dir, id]);
        assert.equal(c.status, 0, c.stderr);
        const conn = native.acceptFd(listener);
        const { fd } = native.recvFd(conn);
        native.closeFd(conn);
        native.closeFd(fd);
        assert.equal(r.run(['start', id]).status, 0);
      } finally {
        r.run(['delete', '-f', id]);
        native.closeFd(listener);
        unlinkSync(sock);
      }
      assert.deepEqual(identities(), before);
    });
  });
}
