import type { CommandArgs, CommandContext } from './context.js';

export function run(_args: CommandArgs, _ctx: CommandContext): number {
  process.stderr.write('ocirt: validate: not implemented yet\n');
  return 1;
}
