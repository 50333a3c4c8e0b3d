// `update`: runc's flags, or -r/--resources FILE ("-": stdin) holding a linux.resources object
// (checked as config.json's would be, with the file's line:column in errors).
import { readFileSync } from 'node:fs';
import { OcirtError } from '../errors.js';
import { checkResources, update } from '../api/ops/update.js';
import type { LinuxResources } from '../api/index.js';
import { containerId, runtimeOf, str } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

/** docker/go-units RAMInBytes, as runc reads its memory flags: "512m", "1g", "1.5GiB", "4096". */
export function ramInBytes(flag: string, s: string): number {
  if (s === '-1') return -1;
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(s.trim());
  if (!m) throw new OcirtError(`--${flag}: invalid size "${s}": expected bytes or a number with k, m, g, t or p (1024-based), or -1`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? '').toLowerCase() as '' | 'k'];
  return Math.floor(Number(m[1]) * mult);
}

function int(flag: string, s: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(s.trim()) || Number(s) < min || Number(s) > max) {
    throw new OcirtError(
      `--${flag}: invalid value "${s}": expected an integer${min >= 0 ? ` from ${min}` : ''}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`,
    );
  }
  return Number(s);
}

/** The runc update flags given, as a linux.resources request (absent flags stay absent). */
export function resourcesFromFlags(args: CommandArgs): LinuxResources {
  const get = (k: string) => str(args, k);
  const r: LinuxResources = {};
  const memory: NonNullable<LinuxResources['memory']> = {};
  for (const [flag, key] of [
    ['memory', 'limit'],
    ['memory-swap', 'swap'],
    ['memory-reservation', 'reservation'],
    ['kernel-memory', 'kernel'],
    ['kernel-memory-tcp', 'kernelTCP'],
  ] as const) {
    const v = get(flag);
    if (v !== undefined) memory[key] = ramInBytes(flag, v);
  }
  if (Object.keys(memory).length) r.memory = memory;
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  const shares = get('cpu-share') ?? get('cpu-shares');
  if (shares !== undefined) cpu.shares = int('cpu-share', shares, 0);
  const q = get('cpu-quota');
  if (q !== undefined) cpu.quota = int('cpu-quota', q, -1);
  const p = get('cpu-period');
  if (p !== undefined) cpu.period = int('cpu-period', p, 0);
  const b = get('cpu-burst');
  if (b !== undefined) cpu.burst = int('cpu-burst', b, 0);
  const rtp = get('cpu-rt-period');
  if (rtp !== undefined) cpu.realtimePeriod = int('cpu-rt-period', rtp, 0);
  const rtr = get('cpu-rt-runtime');
  if (rtr !== undefined) cpu.realtimeRuntime = int('cpu-rt-runtime', rtr, -1);
  const cpus = get('cpuset-cpus');
  if (cpus !== undefined) cpu.cpus = cpus;
  const mems = get('cpuset-mems');
  if (mems !== undefined) cpu.mems = mems;
  if (Object.keys(cpu).length) r.cpu = cpu;
  const w = get('blkio-weight');
  if (w !== undefined) r.blockIO = { weight: int('blkio-weight', w, 0, 1000) };
  const pids = get('pids-limit');
  if (pids !== undefined) r.pids = { limit: int('pids-limit', pids, -1) };
  for (const flag of ['l3-cache-schema', 'mem-bw-schema']) {
    if (get(flag) !== undefined) {
      throw new OcirtError(`--${flag}: Intel RDT is not supported by ocirt (linux.intelRdt is not applied)`);
    }
  }
  return r;
}

/** A linux.resources JSON document, checked against the runtime-spec schema and ocirt's checks. */
export function resourcesFromText(text: string, name: string): LinuxResources {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new OcirtError(`${name}: invalid JSON: ${(err as Error).message}`);
  }
  return checkResources(value, name);
}

const FLAG_NAMES = [
  'memory',
  'memory-swap',
  'memory-reservation',
  'kernel-memory',
  'kernel-memory-tcp',
  'cpu-share',
  'cpu-shares',
  'cpu-quota',
  'cpu-period',
  'cpu-burst',
  'cpu-rt-period',
  'cpu-rt-runtime',
  'cpuset-cpus',
  'cpuset-mems',
  'blkio-weight',
  'pids-limit',
  'l3-cache-schema',
  'mem-bw-schema',
];

export function run(args: CommandArgs, ctx: CommandContext): number {
  const file = str(args, 'resources');
  let req: LinuxResources;
  if (file !== undefined) {
    const given = FLAG_NAMES.filter((f) => str(args, f) !== undefined);
    if (given.length) throw new OcirtError(`--resources cannot be combined with --${given[0]}: put every value in the file`);
    let text: string;
    try {
      text = readFileSync(file === '-' ? '/dev/stdin' : file, 'utf8');
    } catch (err) {
      throw new OcirtError(`--resources ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    req = resourcesFromText(text, file === '-' ? 'resources from stdin' : file);
  } else {
    req = resourcesFromFlags(args);
  }
  update(runtimeOf(ctx), containerId(args), req);
  return 0;
}
