// One interface, two drivers: resources go to the cgroup v1 hierarchies (v1 and hybrid hosts,
// v1.ts) or to the container's cgroup2 directory (pure v2 hosts, v2.ts). The manager picks the
// driver from what the container's cgroups are (record.ts limitsOnV1).
import type { LinuxResources } from '../spec/types.js';
import type { ContainerCgroups } from './record.js';

export interface ApplyOptions {
  /** a running container's limits are being changed (checkBeforeUpdate, v1 write order; devices only when given) */
  update: boolean;
  /**
   * runc's rootless mode: device rules are not applied (only a privileged user may set them, and
   * a user namespace cannot create device nodes anyway).
   */
  rootless: boolean;
  warn(msg: string): void;
  /** why the container has no directory for this controller (where it was looked for) */
  missing(controller: string): string;
}

export interface CgroupDriver {
  /** write linux.resources; config errors are thrown before anything is written */
  apply(c: ContainerCgroups, r: LinuxResources | undefined, o: ApplyOptions): void;
  /** how many times the OOM killer has killed in the container so far */
  oomKills(c: ContainerCgroups): number;
}
