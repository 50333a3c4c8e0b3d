// CVE-2022-29162 class: inheritable and ambient capabilities are granted exactly as the config
// says, never beyond it. runc set the inheritable set from the bounding set; a process whose
// inheritable set is wider than asked gains those capabilities from any file with inheritable
// file capabilities it executes. Checked from inside the container (/proc/self/status), for root
// and non-root container users, and with the runtime itself started holding inheritable and
// ambient capabilities (what a careless engine passes on).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { json, newId, runner, testUser, type Bundle, type Runner, type User } from '../helpers/containers.ts';
import { CAPABILITIES } from '../../src/linux/constants.ts';
import { SKIP, attackBundle } from '../helpers/security.ts';

const mask = (names: string[]) => names.reduce((m, n) => m | (1n << BigInt(CAPABILITIES.indexOf(n as (typeof CAPABILITIES)[number]))), 0n);
const hex = (names: string[]) => mask(names).toString(16).padStart(16, '0');

interface Caps {
  inheritable: string;
  permitted: string;
  effective: string;
  bounding: string;
  ambient: string;
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`capabilities exactly as configured (${mode})`, { skip: SKIP }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      b = attackBundle((c) => (c.process.args = ['/bin/probe', 'report']), user);
    });
    after(() => {
      r.cleanup();
      b.cleanup();
    });

    const base = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const report = (o: { status: number | null; stdout: string; stderr: string }) => {
      assert.equal(o.status, 0, o.stderr);
      return json<{ caps: Caps }>(o as never).caps;
    };

    test('none inheritable or ambient unless configured, for uid 0', () => {
      Object.assign(b.config.process, { user: { uid: 0, gid: 0 }, capabilities: { bounding: base, effective: base, permitted: base } });
      b.write();
      const caps = report(r.run(['run', '-b', b.dir, newId('caps')]));
      assert.deepEqual(caps, { inheritable: hex([]), permitted: hex(base), effective: hex(base), bounding: hex(base), ambient: hex([]) });
    });

    test('inheritable and ambient exactly as configured', () => {
      Object.assign(b.config.process, {
        user: { uid: 0, gid: 0 },
        capabilities: { bounding: base, effective: base, permitted: base, inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] },
      });
      b.write();
      const caps = report(r.run(['run', '-b', b.dir, newId('caps')]));
      assert.deepEqual(caps, {
        inheritable: hex(['CAP_KILL']),
        permitted: hex(base),
        effective: hex(base),
        bounding: hex(base),
        ambient: hex(['CAP_KILL']),
      });
    });

    test('a non-root container user gets nothing inheritable or ambient it was not given', (t) => {
      if (mode === 'rootless') return t.skip('the rootless test config maps one uid only');
      Object.assign(b.config.process, {
        user: { uid: 1000, gid: 1000 },
        capabilities: { bounding: base, effective: base, permitted: base },
      });
      b.write();
      const caps = report(r.run(['run', '-b', b.dir, newId('caps')]));
      // a non-root user's permitted and effective sets empty at its exec without ambient caps
      assert.deepEqual(caps, { inheritable: hex([]), permitted: hex([]), effective: hex([]), bounding: hex(base), ambient: hex([]) });
    });

    test('a runtime started with inheritable and ambient capabilities passes none of them on', (t) => {
      if (mode === 'rootless') return t.skip('an unprivileged runtime cannot hold ambient capabilities');
      Object.assign(b.config.process, { user: { uid: 0, gid: 0 }, capabilities: { bounding: base, effective: base, permitted: base } });
      b.write();
      const { argv, env } = r.command(['run', '-b', b.dir, newId('caps')]);
      const out = join(r.root, `.caps-out-${process.pid}`);
      const fd = openSync(out, 'w');
      try {
        // every capability of our bounding set inheritable, a few ambient (CAP_SYS_ADMIN among
        // them), in the runtime
        const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
        const all = CAPABILITIES.filter((_, bit) => bounding & (1n << BigInt(bit))).map((n) => `+${n.slice(4).toLowerCase()}`);
        const x = spawnSync('setpriv', [`--inh-caps=${all.join(',')}`, '--ambient-caps=+sys_admin,+sys_ptrace,+dac_override', ...argv], {
          env,
          stdio: ['ignore', fd, 'pipe'],
          encoding: 'utf8',
        });
        assert.equal(x.status, 0, x.stderr);
      } finally {
        closeSync(fd);
      }
      const caps = JSON.parse(readFileSync(out, 'utf8')).caps as Caps;
      rmSync(out);
      assert.deepEqual(caps, { inheritable: hex([]), permitted: hex(base), effective: hex(base), bounding: hex(base), ambient: hex([]) });
    });
  });
}
