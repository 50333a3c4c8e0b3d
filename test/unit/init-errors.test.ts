// The init's failure records (step, errno, index, detail) as the user reads them: the config field,
// what failed, the errno, and what to do, for the steps of this area.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeInitError } from '../../src/container/init-errors.ts';
import { STEP_NAMES, type InitErrorMessage } from '../../src/native.ts';
import type { LaunchPlan } from '../../src/linux/plan.ts';

const plan = {
  mounts: [{ field: '/mounts/3' }],
  netDevices: [{ field: '/linux/netDevices/eth9' }],
  joins: [],
  devices: [],
  maskedPaths: [],
  readonlyPaths: [],
  sysctls: [],
  process: { rlimits: [] },
} as unknown as LaunchPlan;
const msg = (stepName: string, errnoName: string, index = -1, detail = ''): InitErrorMessage => ({
  type: 'error',
  step: STEP_NAMES.indexOf(stepName),
  stepName,
  errno: 1,
  errnoName,
  errnoText: '',
  index,
  detail,
});

test('init errors name the field and say what to do', () => {
  assert.match(
    describeInitError(plan, msg('TIME_NAMESPACE', 'EINVAL', -1, 'unshare(CLONE_NEWTIME)')),
    /^config\.json \/linux\/timeOffsets: container init: create the time namespace unshare\(CLONE_NEWTIME\): EINVAL.*kernel without time namespaces \(CONFIG_TIME_NS/,
  );
  assert.match(
    describeInitError(plan, msg('PERSONALITY', 'EINVAL')),
    /^config\.json \/linux\/personality: .*LINUX32 needs a kernel with 32-bit compatibility/,
  );
  assert.match(describeInitError(plan, msg('SCHEDULER', 'EPERM')), /^config\.json \/process\/scheduler: .*CAP_SYS_NICE/);
  assert.match(
    describeInitError(plan, msg('MOUNT_COPYUP', 'ENOSPC', 0, '/tmp')),
    /^config\.json \/mounts\/3: container init: copy the covered directory into the tmpfs \(tmpcopyup\) \/tmp: ENOSPC/,
  );
  assert.match(
    describeInitError(plan, msg('NET_DEVICE', 'ENODEV', 0, 'eth0')),
    /^config\.json \/linux\/netDevices\/eth9: container init: configure network device eth0: ENODEV/,
  );
  assert.equal(
    describeInitError(plan, msg('CAP_CHECK', 'EPERM', 24, 'permitted')),
    'config.json /process/capabilities/permitted: container init: CAP_SYS_RESOURCE cannot be granted: the runtime itself does not hold it (its permitted set lacks it): remove it from the config or run ocirt with it',
  );
  assert.match(
    describeInitError(plan, msg('CAP_CHECK', 'EPERM', 7, 'uid')),
    /\/process\/user\/uid: container init: changing the uid needs CAP_SETUID/,
  );
});

test('every step the init can report has a description', () => {
  for (const name of STEP_NAMES.slice(1)) assert.doesNotMatch(describeInitError(plan, msg(name, 'EIO')), /container init: step /, name);
});
