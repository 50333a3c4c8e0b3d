import { StateStore } from '../container/state-store.js';
import { deriveStatus } from '../container/status.js';
import { toRuntimeState, type RuntimeState } from '../container/runtime-state.js';
import { bool, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const store = new StateStore(ctx.globals.root);
  const states: RuntimeState[] = [];
  for (const id of store.list()) {
    try {
      const s = store.read(id);
      states.push(toRuntimeState(s, deriveStatus(s, store.fifoPath(id))));
    } catch (err) {
      // removed while listing: not there; a damaged record: said, and the others still listed (runc)
      if (store.exists(id)) ctx.log.warn(err instanceof Error ? err.message : String(err));
    }
  }
  if (bool(args, 'quiet')) {
    for (const s of states) process.stdout.write(`${s.id}\n`);
  } else if (str(args, 'format') === 'json') {
    process.stdout.write(JSON.stringify(states) + '\n');
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
    for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) process.stdout.write(r.map((v, c) => v.padEnd(widths[c])).join('   ').trimEnd() + '\n');
  }
  return 0;
}
