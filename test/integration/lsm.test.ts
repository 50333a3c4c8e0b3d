// LSM labels on a host that enforces neither AppArmor nor SELinux (this project's machines: no
// securityfs), as runc behaves there: an empty label, or AppArmor's "unconfined", asks for nothing
// and the container runs; any other label is refused before anything is made. AppArmor applied
// for real runs in the VM guest (test/guest/apparmor.sh, npm run test:apparmor); SELinux cannot
// be loaded on any machine here, so its writes are covered by the plan tests (test/unit/lsm.test.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  IS_ROOT,
  PROBE,
  hostSnapshot,
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
import { detectLsm } from '../../src/lsm/host.ts';

const lsm = detectLsm();
const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : lsm.apparmor || lsm.selinux
      ? 'this host enforces an LSM: these are the tests of a host without one'
      : false;

for (const mode of ['root', 'rootless'] as const) {
  describe(`LSM labels without an LSM, ${mode}`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    const bundle = (mutate: (c: Config) => void) => {
      const b = makeBundle(mutate, user);
      bundles.push(b);
      return b;
    };
    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
    });

    test('an empty label and AppArmor\'s "unconfined" ask for nothing: the container runs', () => {
      const b = bundle((c) => {
        c.process.apparmorProfile = 'unconfined';
        c.process.selinuxLabel = '';
        c.linux.mountLabel = '';
        c.process.args = ['/bin/probe', 'exit', '0'];
      });
      const res = r.run(['run', '-b', b.dir, newId('lsm')]);
      assert.equal(res.status, 0, res.stderr);
      assert.doesNotMatch(res.stderr, /apparmor|selinux|mountLabel/i, 'no warning: nothing was dropped');
    });

    test('any other label is refused at create, naming the field and its line, and leaves nothing', () => {
      const before = hostSnapshot();
      const cases: [string, (c: Config) => void, RegExp][] = [
        [
          'AppArmor profile',
          (c) => (c.process.apparmorProfile = 'docker-default'),
          /config\.json:\d+:\d+: \/process\/apparmorProfile: AppArmor profile "docker-default" cannot be applied: AppArmor is not enabled/,
        ],
        [
          'SELinux label',
          (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0'),
          /config\.json:\d+:\d+: \/process\/selinuxLabel: SELinux label .* cannot be applied: SELinux is not enabled/,
        ],
        [
          'mount label',
          (c) => (c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'),
          /config\.json:\d+:\d+: \/linux\/mountLabel: SELinux mount label .* cannot be applied/,
        ],
      ];
      for (const [name, mutate, expect] of cases) {
        const b = bundle(mutate);
        const res = r.run(['create', '-b', b.dir, newId('lsmbad')]);
        assert.equal(res.status, 1, name);
        assert.match(res.stderr, expect, `${name}: ${res.stderr}`);
        assert.deepEqual(stateDirs(r), [], `${name}: no state dir`);
      }
      const after = hostSnapshot();
      assert.deepEqual(after.cgroups, before.cgroups);
      assert.deepEqual(after.probes, before.probes);
      assert.deepEqual(after.mounts, before.mounts);
    });
  });
}
