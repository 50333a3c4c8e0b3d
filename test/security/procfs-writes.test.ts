// CVE-2025-52881 class: the runtime's writes to procfs (sysctls, oom_score_adj, LSM attributes)
// must reach the kernel file they name, never a file the container put in its place. In runc's
// case a racing container with shared mounts swapped files under /proc while runc wrote; here the
// config itself mounts a directory of the bundle over part of /proc/sys (the same effect, made
// deterministic). The sysctl must be set in the container's namespaces and the decoy untouched.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, newId, runner, testUser, type Bundle, type Runner, type User } from '../helpers/containers.ts';
import { SKIP, attackBundle } from '../helpers/security.ts';

/** A sysctl as a process in the container's namespace `ns` of `pid` reads it (from the host). */
function sysctlIn(pid: number, ns: 'ipc' | 'net', key: string): string {
  return execFileSync('nsenter', [`--${ns}=/proc/${pid}/ns/${ns}`, 'cat', `/proc/sys/${key.replace(/\./g, '/')}`], {
    encoding: 'utf8',
  }).trim();
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`procfs writes cannot be redirected (${mode})`, { skip: SKIP }, () => {
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

    const cases: { key: string; value: string; ns: 'ipc' | 'net'; decoyDir: string; file: string; rootOnly?: boolean }[] = [
      { key: 'kernel.shmmni', value: '1234', ns: 'ipc', decoyDir: '/proc/sys/kernel', file: 'shmmni' },
      { key: 'net.ipv4.ip_forward', value: '1', ns: 'net', decoyDir: '/proc/sys/net/ipv4', file: 'ip_forward', rootOnly: true },
    ];
    for (const c of cases) {
      test(`sysctl ${c.key} reaches the kernel through a decoy mounted over ${c.decoyDir}`, (t) => {
        if (c.rootOnly && mode === 'rootless') return t.skip('rootless test configs have no network namespace');
        const b = attackBundle((cfg) => {
          cfg.process.args = ['/bin/probe', 'sleep', '600'];
          cfg.linux.sysctl = { [c.key]: c.value };
          // the decoy: a directory of the bundle (a volume) over part of /proc/sys
          cfg.mounts.push({ destination: c.decoyDir, type: 'bind', source: 'decoy', options: ['rbind'] });
        }, user);
        bundles.push(b);
        mkdirSync(join(b.dir, 'decoy'));
        writeFileSync(join(b.dir, 'decoy', c.file), 'untouched\n');
        if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, join(b.dir, 'decoy')]);
        const id = newId('sysctl');
        const o = r.run(['run', '-d', '-b', b.dir, id]);
        try {
          assert.equal(o.status, 0, o.stderr);
          const pid = json(r.run(['state', id])).pid as number;
          assert.equal(readFileSync(join(b.dir, 'decoy', c.file), 'utf8'), 'untouched\n', 'the sysctl was written into the decoy');
          assert.equal(sysctlIn(pid, c.ns, c.key), c.value, 'the sysctl did not reach the kernel');
        } finally {
          r.run(['delete', '-f', id]);
        }
      });
    }
  });
}
