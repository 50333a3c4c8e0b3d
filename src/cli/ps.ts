// `ps`: -f json prints the container's host pids as a JSON array (what containerd reads); the
// table is ps(1)'s own output (the words after the id are its options, "-ef" by default)
// filtered to the container's processes, as runc prints it.
import { execFileSync } from 'node:child_process';
import { OcirtError } from '../errors.js';
import { ps } from '../api/ops/ps.js';
import { containerId, runtimeOf, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const pids = ps(runtimeOf(ctx), containerId(args));
  const format = str(args, 'format') ?? 'table';
  if (format === 'json') {
    process.stdout.write(JSON.stringify(pids) + '\n');
    return 0;
  }
  if (format !== 'table') throw new OcirtError(`--format: invalid format "${format}": expected table or json`);
  const extra = (args['ps-options'] as unknown[] | undefined)?.map(String) ?? [];
  const psArgs = extra.length ? extra : ['-ef'];
  let out: string;
  try {
    out = execFileSync('ps', psArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; status?: number; stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new OcirtError('ps: the ps program was not found (install procps)');
    throw new OcirtError(`ps ${psArgs.join(' ')} failed (exit ${e.status}): ${(e.stderr || e.stdout || '').trim()}`);
  }
  process.stdout.write(filterPsTable(out, pids));
  return 0;
}

/** The header and the lines whose PID column is one of the pids. */
export function filterPsTable(output: string, pids: number[]): string {
  const lines = output.split('\n');
  const pidCol = lines[0].trim().split(/\s+/).indexOf('PID');
  if (pidCol < 0) throw new OcirtError(`ps output has no PID column: ${lines[0]}`);
  const want = new Set(pids);
  const rows = lines.slice(1).filter((l) => l.trim() !== '' && want.has(Number(l.trim().split(/\s+/)[pidCol])));
  return [lines[0], ...rows].join('\n') + '\n';
}
