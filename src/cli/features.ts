import { features } from '../api/ops/features.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(_args: CommandArgs, _ctx: CommandContext): number {
  process.stdout.write(JSON.stringify(features(), null, 2) + '\n');
  return 0;
}
