// --no-pivot (MS_MOVE + chroot instead of pivot_root): the host's own procfs and sysfs stay in the
// container's mount namespace, out of reach by path but not for the kernel's check of whether a
// fresh procfs may be mounted in a user namespace (a fully visible one must already be mounted).
// A container process that makes a user namespace could then mount a procfs without the
// container's masked and read-only paths. runc refuses that mount ("permission denied") by
// hiding those mounts before it moves the rootfs; so must ocirt. With pivot_root the old root is
// detached and the question does not arise; it is checked too.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { json, newId, runner, testUser, type Bundle, type Runner, type User } from '../helpers/containers.ts';
import { SKIP, attackBundle } from '../helpers/security.ts';

interface Attempt {
  step: string;
  errno: number;
  mounted: boolean;
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`a nested user namespace cannot mount a fresh /proc (${mode})`, { skip: SKIP }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      b = attackBundle((c) => {
        c.process.args = ['/bin/attack', 'userns-proc'];
        // Docker's default set has it; the kernel lets only a creator that held CAP_SETFCAP map
        // the parent's uid 0 into a new user namespace, so without it the attack stops there
        for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SETFCAP');
      }, user);
    });
    after(() => {
      r.cleanup();
      b.cleanup();
    });

    for (const pivot of ['--no-pivot', 'pivot_root'] as const) {
      test(pivot, () => {
        const o = r.run(['run', ...(pivot === '--no-pivot' ? ['--no-pivot'] : []), '-b', b.dir, newId('nopivot')]);
        assert.equal(o.status, 0, o.stderr);
        const a = json<Attempt>(o);
        // the attack must get as far as the mount itself, or it proves nothing
        assert.equal(a.step, 'mount proc', `the attack did not reach the mount: ${o.stdout}`);
        assert.equal(a.mounted, false, `a fresh procfs was mounted: ${o.stdout}`);
        assert.equal(a.errno, 1, 'EPERM, as runc');
      });
    }
  });
}
