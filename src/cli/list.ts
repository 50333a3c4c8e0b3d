import { list } from '../api/ops/state.js';
import { bool, runtimeOf, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const states = list(runtimeOf(ctx));
  if (bool(args, 'quiet')) {
    for (const s of states) process.stdout.write(`${s.id}\n`);
  } else if (str(args, 'format') === 'json') {
    process.stdout.write(JSON.stringify(states) + '\n');
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
    for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows)
      process.stdout.write(
        r
          .map((v, c) => v.padEnd(widths[c]))
          .join('   ')
          .trimEnd() + '\n',
      );
  }
  return 0;
}
