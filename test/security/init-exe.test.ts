// CVE-2019-5736 class, and the runtime while it sets a container up. In runc's case a container
// process got hold of /proc/<pid>/exe of a runc process that had entered the container (through a
// "#!/proc/self/exe" entry point) and, once that process was gone, opened it for writing and
// replaced the host's runc binary. Here an attacker container watches its pid namespace while a
// victim container joins it (as the containers of a pod do): during the victim's setup it must get
// nothing from the victim's init (no exe, no ptrace, no memory, fds or environment: the init is
// non-dumpable), no runtime process may ever appear in that namespace, and after the
// "#!/proc/self/exe" trick no binary it can open is writable (the init is a sealed memfd).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, json, newId, runner, testUser, type Bundle, type Config, type Runner, type User } from '../helpers/containers.ts';
import { OCIRT, SKIP, attackBundle, execImplemented } from '../helpers/security.ts';
import { sleepMs } from '../../src/sleep.ts';
import { CAPABILITIES } from '../../src/linux/constants.ts';

const hostBounding = () => BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);

interface Attack {
  tries: number;
  victims: number;
  exe_opened: number;
  exe_writable: number;
  ptraced: number;
  mem: number;
  fds: number;
  environ: number;
  breach: string;
  seen: { pid: number; comm: string; exe: string; writable: boolean }[];
}

/** Host files a successful attack of this class would overwrite. */
const HOST_BINARIES = [process.execPath, OCIRT, join(REPO, 'build', 'Release', 'ocirt.node'), join(REPO, 'dist', 'ocirt-core')].filter(
  (p) => existsSync(p),
);
const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function waitFor(path: string, what: string): void {
  for (let i = 0; i < 3000 && !existsSync(path); i++) sleepMs(10);
  assert.ok(existsSync(path), `${what} never appeared`);
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`the init and the runtime under attack from a shared pid namespace (${mode})`, { skip: SKIP }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    const hashes = new Map<string, string>();
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      for (const p of HOST_BINARIES) hashes.set(p, digest(p));
    });
    after(() => {
      r.cleanup();
      bundles.forEach((b) => b.cleanup());
      for (const [p, h] of hashes) assert.equal(digest(p), h, `${p} changed`);
    });

    /** The attacker, running (with `caps` as all its capability sets); its bundle, id and pid. */
    function startAttacker(caps?: string[]): { b: Bundle; id: string; pid: number } {
      const b = attackBundle((c) => {
        c.root.readonly = false;
        c.process.args = ['/bin/attack', 'procs', '300', '/attack.json'];
        if (caps) c.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
      }, user);
      bundles.push(b);
      const id = newId('attacker');
      const o = r.run(['run', '-d', '-b', b.dir, id]);
      assert.equal(o.status, 0, o.stderr);
      waitFor(join(b.rootfs, 'ready'), 'the attacker');
      return { b, id, pid: json(r.run(['state', id])).pid as number };
    }

    function stopAttacker(a: { b: Bundle; id: string }): Attack {
      writeFileSync(join(a.b.rootfs, 'stop'), '');
      waitFor(join(a.b.rootfs, 'attack.json'), "the attacker's result");
      sleepMs(100);
      const res = JSON.parse(readFileSync(join(a.b.rootfs, 'attack.json'), 'utf8')) as Attack;
      r.run(['delete', '-f', a.id]);
      return res;
    }

    /** A victim bundle whose container joins the attacker's pid namespace (and user namespace). */
    function victim(attackerPid: number, mutate: (c: Config) => void): Bundle {
      const b = attackBundle((c) => {
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) =>
          n.type === 'pid' || (n.type === 'user' && user) ? { type: n.type, path: `/proc/${attackerPid}/ns/${n.type}` } : n,
        );
        if (user) {
          delete c.linux.uidMappings;
          delete c.linux.gidMappings;
        }
        mutate(c);
      }, user);
      bundles.push(b);
      return b;
    }

    test('during setup the init gives a process of its pid namespace nothing', () => {
      // The kernel already refuses a tracer that lacks one of the target's capabilities (unless
      // it has CAP_SYS_PTRACE), and the init holds them all. Not when the runtime runs without
      // CAP_SYS_PTRACE (a service whose bounding set drops it) and a neighbour holds every
      // capability the runtime has: then only the init's being non-dumpable stands in the way.
      // That is the root case here; rootless, the init has every capability of its namespace.
      const withoutPtrace =
        mode === 'root'
          ? CAPABILITIES.filter((c, bit) => c !== 'CAP_SYS_PTRACE' && (hostBounding() & (1n << BigInt(bit))) !== 0n)
          : undefined;
      const a = startAttacker(withoutPtrace);
      const b = victim(a.pid, (c) => (c.process.args = ['/bin/probe', 'sleep', '600']));
      const id = newId('victim');
      let res: ReturnType<typeof stopAttacker>;
      try {
        const { argv, env } = r.command(['create', '-b', b.dir, id]);
        const runtime = withoutPtrace ? ['setpriv', '--bounding-set=-sys_ptrace', ...argv] : argv;
        // stderr into a file: the created init keeps the runtime's stdio open
        const errFile = join(r.root, `.create-err-${process.pid}`);
        const errFd = openSync(errFile, 'w');
        const c = spawnSync(runtime[0], runtime.slice(1), { env, stdio: ['ignore', 'ignore', errFd], timeout: 60_000 });
        closeSync(errFd);
        assert.equal(c.status, 0, readFileSync(errFile, 'utf8'));
        rmSync(errFile);
        sleepMs(1500); // the init waits on its exec fifo, the attacker keeps trying
      } finally {
        res = stopAttacker(a);
        r.run(['delete', '-f', id]);
      }
      assert.ok(
        res.seen.some((v) => v.comm === 'ocirt-init'),
        `the attacker never saw the victim's init: ${JSON.stringify(res.seen)}`,
      );
      assert.deepEqual(
        {
          exe_opened: res.exe_opened,
          exe_writable: res.exe_writable,
          ptraced: res.ptraced,
          mem: res.mem,
          fds: res.fds,
          environ: res.environ,
        },
        { exe_opened: 0, exe_writable: 0, ptraced: 0, mem: 0, fds: 0, environ: 0 },
        `breach: ${res.breach}`,
      );
      // only the init ever appeared: no runtime process entered the namespace
      assert.deepEqual([...new Set(res.seen.map((v) => v.comm))], ['ocirt-init']);
    });

    test('a "#!/proc/self/exe" entry point gives no writable binary', () => {
      const a = startAttacker();
      const b = victim(a.pid, (c) => (c.process.args = ['/bin/evil']));
      writeFileSync(join(b.rootfs, 'bin', 'evil'), '#!/proc/self/exe\n');
      chmodSync(join(b.rootfs, 'bin', 'evil'), 0o755);
      const id = newId('evil');
      let res: ReturnType<typeof stopAttacker>;
      try {
        assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
        assert.equal(r.run(['start', id]).status, 0);
        sleepMs(1000);
      } finally {
        res = stopAttacker(a);
        r.run(['delete', '-f', id]);
      }
      assert.equal(res.exe_writable, 0, `breach: ${res.breach}`);
      assert.deepEqual(
        res.seen.filter((v) => v.writable),
        [],
      );
    });

    test("exec: the exec'd process gives a process of its pid namespace nothing while it starts", (t) => {
      if (!execImplemented(r)) return t.skip('ocirt exec is not implemented in this build (branch exec)');
      const a = startAttacker();
      let res: ReturnType<typeof stopAttacker>;
      try {
        for (let i = 0; i < 5; i++) assert.equal(r.run(['exec', a.id, '/bin/probe', 'exit', '0']).status, 0);
      } finally {
        res = stopAttacker(a);
      }
      assert.deepEqual(
        { exe_writable: res.exe_writable, ptraced: res.ptraced, mem: res.mem, fds: res.fds, environ: res.environ },
        { exe_writable: 0, ptraced: 0, mem: 0, fds: 0, environ: 0 },
        `breach: ${res.breach}`,
      );
    });

    after(() => {
      for (const b of bundles) rmSync(join(b.rootfs, 'attack.json'), { force: true });
    });
  });
}
