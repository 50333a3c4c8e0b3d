// `ocirt validate [-b DIR]`: every problem of the bundle, one located line each, or "valid".
import { formatProblems, validate } from '../api/ops/validate.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, _ctx: CommandContext): number {
  const bundle = typeof args.bundle === 'string' && args.bundle !== '' ? args.bundle : '.';
  const result = validate(bundle);
  if (result.problems.length > 0) {
    process.stderr.write(formatProblems(result.configPath, result.problems) + '\n');
    return 1;
  }
  process.stdout.write(`${result.configPath}: valid\n`);
  return 0;
}
