// linux.netDevices -> which host devices the runtime moves into the container's network
// namespace, and their names there. The move itself is the launch's (src/container/launch-prep.ts),
// the addresses and "up" the init's (native/init/netdev.c).
import type { Spec } from '../spec/types.js';
import type { SectionEncoder } from './encode.js';
import type { NetDevicePlan } from './plan.js';
import { joinPointer } from '../spec/locate.js';

export function planNetDevices(linux: NonNullable<Spec['linux']>): NetDevicePlan[] {
  return Object.entries(linux.netDevices ?? {}).map(([hostName, d]) => ({
    field: joinPointer('/linux/netDevices', hostName),
    hostName,
    name: d.name || hostName,
  }));
}

/**
 * Section NET_DEVICES: list { str name in the container, list { u32 family, u32 prefixlen, u32 ifa
 * flags, u32 scope, 16 bytes address } }. The addresses come from the launch, which read them.
 */
export const encodeNetDevices: SectionEncoder = (plan, w) => {
  if (!plan.netDevices.length) return false;
  w.list(plan.netDevices, 'netDevices', (d, at) => {
    w.str(d.name, `${at}.name`);
    w.list(d.addresses ?? [], `${at}.addresses`, (a, aat) => {
      w.u32(a.family, `${aat}.family`);
      w.u32(a.prefixlen, `${aat}.prefixlen`);
      w.u32(a.flags, `${aat}.flags`);
      w.u32(a.scope, `${aat}.scope`);
      const b = Buffer.alloc(16);
      Buffer.from(a.address).copy(b, 0, 0, 16);
      w.raw(b);
    });
  });
  return true;
};
