// `ocirt validate [-b DIR] [--strict]`: every problem of the bundle, one located line each, or
// "valid". Warnings (unknown keys, values accepted beyond runtime-spec as runc accepts them) do not
// fail the bundle unless --strict.
import { formatProblems, hasErrors, validate } from '../api/ops/validate.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, _ctx: CommandContext): number {
  const bundle = typeof args.bundle === 'string' && args.bundle !== '' ? args.bundle : '.';
  const strict = args.strict === true;
  const result = validate(bundle);
  const problems = strict ? result.problems.map((p) => ({ ...p, warning: false })) : result.problems;
  if (problems.length > 0) process.stderr.write(formatProblems(result.configPath, problems) + '\n');
  if (hasErrors(problems)) return 1;
  const n = problems.length;
  process.stdout.write(`${result.configPath}: valid${n ? ` (${n} warning${n === 1 ? '' : 's'})` : ''}\n`);
  return 0;
}
