// The cgroup v2 driver: the container's limits in its one cgroup2 directory, device rules as an
// eBPF program attached to it (replaced atomically on update).
import { OcirtError } from '../errors.js';
import * as native from '../native.js';
import type { LinuxResources } from '../spec/types.js';
import { DEVICE_PROGRAM_NAME, deviceProgram, encodeProgram } from './device-bpf.js';
import { deviceRules, emulate } from './devices.js';
import type { ApplyOptions, CgroupDriver } from './driver.js';
import { applyWrites, readCg, readKeyed, readNumber } from './files.js';
import type { ContainerCgroups } from './record.js';
import { planV2 } from './resources-v2.js';

export const v2Driver: CgroupDriver = {
  apply(c: ContainerCgroups, r: LinuxResources | undefined, o: ApplyOptions): void {
    const plan = planV2(r);
    const dir = c.v2;
    if (!dir) {
      if (plan.writes.length) throw new OcirtError(`cannot apply ${plan.writes[0].field}: ${o.missing(plan.writes[0].controller)}`);
      return;
    }
    plan.warnings.forEach((w) => o.warn(w));
    const limit = r?.memory?.limit;
    if (o.update && r?.memory?.checkBeforeUpdate && limit !== undefined && limit > 0) {
      const usage = readNumber(`${dir}/memory.current`);
      if (usage !== undefined && usage > limit) {
        throw new OcirtError(
          `cannot set /linux/resources/memory/limit to ${limit}: the container uses ${usage} bytes now (checkBeforeUpdate)`,
        );
      }
    }
    const available = new Set((readCg(`${dir}/cgroup.controllers`) ?? '').split(/\s+/).filter(Boolean));
    applyWrites(
      {
        dirFor: (ctrl) => (ctrl === 'cgroup' || available.has(ctrl) ? dir : undefined),
        missing: (ctrl) =>
          `the ${ctrl} controller is not available in cgroup ${dir} (its cgroup.controllers: ${[...available].join(' ') || 'none'}): ` +
          `the parent's cgroup.subtree_control does not enable it (a cgroup v2 parent with processes of its own cannot delegate controllers)`,
      },
      plan.writes,
      (w) => o.warn(w),
    );
    if (!o.rootless && (!o.update || r?.devices)) {
      const program = deviceProgram(emulate(deviceRules(r?.devices)));
      try {
        native.attachDeviceProgram(dir, encodeProgram(program), DEVICE_PROGRAM_NAME);
      } catch (err) {
        throw new OcirtError(`cannot apply /linux/resources/devices: ${(err as Error).message}`, { cause: err });
      }
    }
  },

  oomKills(c: ContainerCgroups): number {
    return c.v2 ? (readKeyed(`${c.v2}/memory.events`).oom_kill ?? 0) : 0;
  },
};
