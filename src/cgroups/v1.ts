// The cgroup v1 driver (v1 and hybrid hosts): each limit in the hierarchy of its controller,
// device rules through devices.deny/devices.allow.
import { OcirtError } from '../errors.js';
import type { LinuxResources } from '../spec/types.js';
import { deviceRules, emulate, parseDevicesList, v1Transition } from './devices.js';
import type { ApplyOptions, CgroupDriver } from './driver.js';
import { applyWrites, readCg, readKeyed, readNumber, writeCg } from './files.js';
import { v1DirOf, type ContainerCgroups } from './record.js';
import { planV1 } from './resources-v1.js';

export const v1Driver: CgroupDriver = {
  apply(c: ContainerCgroups, r: LinuxResources | undefined, o: ApplyOptions): void {
    const mem = v1DirOf(c, 'memory');
    const plan = planV1(r, { ...(o.update && mem ? { memoryLimit: readNumber(`${mem}/memory.limit_in_bytes`) } : {}) });
    plan.warnings.forEach((w) => o.warn(w));
    const limit = r?.memory?.limit;
    if (o.update && mem && r?.memory?.checkBeforeUpdate && limit !== undefined && limit > 0) {
      const usage = readNumber(`${mem}/memory.usage_in_bytes`);
      if (usage !== undefined && usage > limit) {
        throw new OcirtError(
          `cannot set /linux/resources/memory/limit to ${limit}: the container uses ${usage} bytes now (checkBeforeUpdate)`,
        );
      }
    }
    applyWrites({ dirFor: (ctrl) => v1DirOf(c, ctrl), missing: (ctrl) => o.missing(ctrl) }, plan.writes, (w) => o.warn(w));

    if (o.rootless || (o.update && !r?.devices)) return;
    const dir = v1DirOf(c, 'devices');
    if (!dir) {
      if (r?.devices?.length) throw new OcirtError(`cannot apply /linux/resources/devices: ${o.missing('devices')}`);
      return;
    }
    const to = emulate(deviceRules(r?.devices));
    const from = parseDevicesList(readCg(`${dir}/devices.list`) ?? 'a *:* rwm');
    for (const w of v1Transition(from, to)) writeCg(dir, w.file, w.value, 'cannot apply /linux/resources/devices');
  },

  oomKills(c: ContainerCgroups): number {
    const mem = v1DirOf(c, 'memory');
    return mem ? (readKeyed(`${mem}/memory.oom_control`).oom_kill ?? 0) : 0;
  },
};
