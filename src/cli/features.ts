import { buildFeatures } from '../container/features.js';
import { findCgroup2Mount, findCgroupV1Mounts, findResctrl } from '../linux/host.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(_args: CommandArgs, _ctx: CommandContext): number {
  const features = buildFeatures({
    cgroupV1: Object.keys(findCgroupV1Mounts()).length > 0,
    cgroupV2: findCgroup2Mount() !== undefined,
    resctrl: findResctrl() !== undefined,
  });
  process.stdout.write(JSON.stringify(features, null, 2) + '\n');
  return 0;
}
