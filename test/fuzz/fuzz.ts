// The fuzzer (issue 12 item 5), for a time budget:
//
//   npm run fuzz -- [--seconds 300] [--seed N] [--only validate,create,argv]
//   OCIRT_BIN=dist/ocirt-exe npm run fuzz -- --seconds 120      the executable (default bin/ocirt)
//
// Three targets, the budget shared 3:5:2 between them:
// - validate: config.json text mutated from valid and invalid seeds, and damaged as text
//   (generators.ts), through the bundle check, the planner and the plan's encoding in-process
//   (checks.ts validateAndPlan), and every 25th case through `ocirt validate`;
// - create: the tests' root and rootless configs with fields a create may safely be fuzzed with
//   (safeChange: never a bind of a host path) run for real (`ocirt run`), then `delete --force`;
//   each is a working container or one clean error, and nothing is left (state, cgroups,
//   processes, mounts, fds);
// - argv: the CLI's argv from a vocabulary of commands, flags and hostile values, always with the
//   fuzzer's own --root (no other value of it is ever generated) and cwd.
// A finding is anything else (checks.ts). Findings are printed with what reproduces them and
// written to build/fuzz/findings.json; exit status 1 if there is any. Needs root for create (and
// the rootless half needs the test user, made as the tests make it).
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configText, safeChange } from './generators.ts';
import { crashSigns, validateAndPlan } from './checks.ts';
import {
  baseConfig,
  hostSnapshot,
  IS_ROOT,
  makeBundle,
  newId,
  REPO,
  runner,
  testUser,
  type Runner,
  type User,
} from '../helpers/containers.ts';
import { residue } from '../helpers/leaks.ts';

const argv = process.argv.slice(2);
// As root: again under scripts/isolated.sh (own pid and mount namespace, a reaping pid 1), so that
// the processes and mounts looked at for leaks are this run's alone, not a neighbour's.
if (IS_ROOT && !process.env.OCIRT_FUZZ_ISOLATED) {
  const r = spawnSync(join(REPO, 'scripts', 'isolated.sh'), [process.execPath, process.argv[1], ...argv], {
    stdio: 'inherit',
    env: { ...process.env, OCIRT_FUZZ_ISOLATED: '1' },
  });
  process.exit(r.status ?? 1);
}
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? undefined : argv[i + 1];
};
const seconds = Number(flag('seconds') ?? 300);
const seed = Number(flag('seed') ?? Date.now() % 2 ** 31);
const only = (flag('only') ?? 'validate,create,argv').split(',');
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
  console.error('fuzz: --seconds takes a positive number, --seed an integer');
  process.exit(2);
}
const share: Record<string, number> = { validate: 3, create: IS_ROOT ? 5 : 0, argv: 2 };
const total = only.reduce((s, t) => s + (share[t] ?? 0), 0);

interface Finding {
  target: string;
  seed: number;
  batch: number;
  index: number;
  problem: string;
  input: unknown;
  output?: string;
}
const findings: Finding[] = [];
const stats: Record<string, Record<string, number>> = {};
const count = (target: string, what: string) => {
  stats[target] ??= {};
  stats[target][what] = (stats[target][what] ?? 0) + 1;
};
const unlocated = new Map<string, number>();

/** Draws batches of `arb` (seed + batch number: reproducible) until `ms` have passed. */
async function forBudget<T>(
  target: string,
  arb: fc.Arbitrary<T>,
  ms: number,
  each: (v: T, at: { batch: number; index: number }) => Promise<void> | void,
): Promise<void> {
  const end = Date.now() + ms;
  for (let batch = 0; Date.now() < end; batch++) {
    const values = fc.sample(arb, { seed: seed + batch, numRuns: 20 });
    for (let index = 0; index < values.length && Date.now() < end; index++) {
      count(target, 'cases');
      await each(values[index], { batch, index });
    }
  }
}

function finding(target: string, at: { batch: number; index: number }, problem: string, input: unknown, output?: string): void {
  findings.push({ target, seed, ...at, problem, input, ...(output ? { output } : {}) });
  count(target, 'findings');
  if (findings.length <= 10)
    console.error(
      `fuzz: ${target} (seed ${seed}, batch ${at.batch}, case ${at.index}): ${problem}\n  input: ${JSON.stringify(input).slice(0, 400)}${output ? `\n  output: ${output.slice(0, 400)}` : ''}`,
    );
}

// ---- validate ----
async function fuzzValidate(ms: number): Promise<void> {
  const bundle = makeBundle();
  const r = runner();
  try {
    await forBudget('validate', configText, ms, (text, at) => {
      const v = validateAndPlan(bundle.dir, text);
      count('validate', v.kind);
      if (v.kind === 'finding') finding('validate', at, v.message, text);
      if (v.kind === 'unlocated')
        unlocated.set(v.message.replace(/\d+/g, 'N').slice(0, 120), (unlocated.get(v.message.replace(/\d+/g, 'N').slice(0, 120)) ?? 0) + 1);
      if (at.index % 25 === 0) {
        const out = r.run(['validate', '-b', bundle.dir], { timeoutMs: 30_000 });
        // validate's lines are the problems themselves, each `<config.json>:line:col: /pointer: ...`
        const crash = crashSigns(out, false);
        if (crash) finding('validate', at, `ocirt validate: ${crash}`, text, out.stderr);
        else if (
          out.status !== 0 &&
          !out.stderr
            .split('\n')
            .filter(Boolean)
            .every((l) => l.startsWith(join(bundle.dir, 'config.json')))
        ) {
          finding('validate', at, 'ocirt validate: a line without the config file', text, out.stderr);
        }
      }
    });
  } finally {
    r.cleanup();
    bundle.cleanup();
  }
}

// ---- create ----
// the container's own exit status for these programs (kill-self: the signal's, or 1 where the
// probe is pid 1 of a pid namespace, which ignores its own default-action signals)
const containerStatus: Record<string, number[]> = {
  '/bin/probe exit 0': [0],
  '/bin/probe exit 7': [7],
  '/bin/probe kill-self SEGV': [128 + 11, 1],
};

async function fuzzCreate(ms: number): Promise<void> {
  let user: User | undefined;
  try {
    user = testUser();
  } catch {
    user = undefined;
  }
  const modes: { name: string; r: Runner; user?: User }[] = [
    { name: 'root', r: runner() },
    ...(user ? [{ name: 'rootless', r: runner(user), user }] : []),
  ];
  const bundles = modes.map((m) => makeBundle(undefined, m.user));
  const before = hostSnapshot();
  try {
    const arb = fc.record({ mode: fc.nat(), changes: fc.array(safeChange, { minLength: 1, maxLength: 4 }) });
    await forBudget('create', arb, ms, ({ mode, changes }, at) => {
      const m = modes[mode % modes.length];
      const b = bundles[mode % modes.length];
      const config = baseConfig(m.user);
      for (const c of changes) c(config);
      b.config = config;
      b.write();
      const input = { mode: m.name, config };
      const id = newId('fz');
      const out = m.r.run(['run', '-b', b.dir, id], { timeoutMs: 30_000 });
      const args = Array.isArray(config.process?.args) ? config.process.args.join(' ') : '';
      const own = containerStatus[args];
      const ownStatus = own !== undefined && out.status !== null && own.includes(out.status);
      const crash = ownStatus ? undefined : crashSigns(out);
      if (crash) finding('create', at, `${m.name} run: ${crash}`, input, out.stderr);
      count('create', out.status === 0 || ownStatus ? 'ran' : 'refused');
      const del = m.r.run(['delete', '--force', id]);
      if (del.status !== 0) finding('create', at, `${m.name} delete --force: exit ${del.status}`, input, del.stderr);
      const left = residue({ root: m.r.root, ids: [id], before, watched: [b.dir] });
      const leaks = Object.entries(left).filter(([, v]) => (v as unknown[]).length > 0);
      if (leaks.length) finding('create', at, `${m.name}: left behind ${JSON.stringify(Object.fromEntries(leaks))}`, input);
    });
  } finally {
    for (const m of modes) m.r.cleanup();
    for (const b of bundles) b.cleanup();
  }
}

// ---- argv ----
function argvArb(bundle: string, scratch: string): fc.Arbitrary<string[]> {
  const command = fc.constantFrom(
    'create',
    'start',
    'run',
    'state',
    'list',
    'kill',
    'delete',
    'exec',
    'ps',
    'pause',
    'resume',
    'update',
    'events',
    'spec',
    'features',
    'validate',
    'checkpoint',
    'bogus',
    '',
    '-',
    '--',
  );
  const flagWord = fc.constantFrom(
    '--bundle',
    '-b',
    '--force',
    '-f',
    '--all',
    '-a',
    '--pid-file',
    '--console-socket',
    '--preserve-fds',
    '--no-pivot',
    '--no-new-keyring',
    '--detach',
    '-d',
    '--format',
    '--signal',
    '--log',
    '--log-format',
    '--debug',
    '--systemd-cgroup',
    '--rootless',
    '--help',
    '-h',
    '--version',
    '-v',
    '--process',
    '-p',
    '--tty',
    '-t',
    '--env',
    '-e',
    '--cwd',
    '--user',
    '-u',
    '--cap',
    '--stats',
    '--interval',
    '--resources',
    '-r',
    '--memory',
    '--cpu-shares',
    '--pids-limit',
    '--quiet',
    '-q',
    '--keep',
    '--criu',
    '--',
    '-',
    '--bundle=',
    '--format=json',
    '--log-format=json',
    '--preserve-fds=-1',
    '--no-such-flag',
    '-xyz',
  );
  const value = fc.oneof(
    fc.constantFrom(
      '',
      '0',
      '-1',
      '1',
      '3',
      '99999999999999999999',
      '1e9',
      '0x10',
      'json',
      'table',
      'text',
      'KILL',
      'SIGKILL',
      '9',
      '65',
      'SIGRTMAX+1',
      'true',
      'false',
      'auto',
    ),
    fc.constantFrom(
      bundle,
      '.',
      '/nonexistent',
      '/dev/null',
      '/proc/self/fd/0',
      join(scratch, 'file'),
      join(scratch, 'dir/'),
      'x'.repeat(5000),
      'a'.repeat(1100),
    ),
    fc.constantFrom('fz-id', 'fz/../../etc', '../x', '.', '..', 'x/y', 'a b', 'a\nb', '-x', '--', 'ü', '\u{1F600}'),
    fc.string({ maxLength: 12 }).map((s) => s.replace(/\0/g, '')),
  );
  return (
    fc
      .tuple(command, fc.array(fc.oneof(flagWord, value, value), { maxLength: 7 }))
      .map(([c, rest]) => [c, ...rest])
      // the fuzzer's --root is the only one: a generated one could reach the host's containers
      .filter((a) => !a.some((w) => w === '--root' || w.startsWith('--root=')))
  );
}

async function fuzzArgv(ms: number): Promise<void> {
  const r = runner();
  const scratch = mkdtempSync('/tmp/ocirt-fuzz-cwd-');
  mkdirSync(join(scratch, 'dir'));
  const bundle = makeBundle();
  try {
    await forBudget('argv', argvArb(bundle.dir, scratch), ms, (words, at) => {
      const out = r.run(words, { timeoutMs: 20_000, cwd: scratch });
      count('argv', out.status === 0 ? 'exit 0' : 'refused');
      // `events` streams until its container is gone, and run/exec may wait on the program
      const mayWait = ['events', 'run', 'exec'].includes(words[0]);
      // validate's lines are the problems themselves
      const crash = crashSigns(out, words[0] !== 'validate');
      if (crash && !(mayWait && out.status === null)) finding('argv', at, crash, words, out.stderr);
      // whatever it made goes again
      for (const id of readdirSync(r.root).filter((n) => !n.startsWith('.'))) r.run(['delete', '--force', id]);
      for (const e of readdirSync(scratch)) if (e !== 'dir') rmSync(join(scratch, e), { recursive: true, force: true });
    });
  } finally {
    r.cleanup();
    bundle.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---- main ----
const started = Date.now();
console.error(`fuzz: ${seconds} s, seed ${seed}, targets ${only.join(',')}${IS_ROOT ? '' : ' (not root: no create)'}`);
for (const t of only) {
  const ms = ((share[t] ?? 0) / Math.max(1, total)) * seconds * 1000;
  if (ms <= 0) continue;
  if (t === 'validate') await fuzzValidate(ms);
  else if (t === 'create') await fuzzCreate(ms);
  else if (t === 'argv') await fuzzArgv(ms);
  else console.error(`fuzz: unknown target ${t}`);
}
const report = {
  seconds: Math.round((Date.now() - started) / 1000),
  seed,
  stats,
  unlocatedErrors: Object.fromEntries([...unlocated.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)),
  findings,
};
mkdirSync(join(REPO, 'build', 'fuzz'), { recursive: true });
writeFileSync(join(REPO, 'build', 'fuzz', 'findings.json'), JSON.stringify(report, null, 2));
console.log(JSON.stringify({ ...report, findings: findings.length }, null, 2));
process.exit(findings.length ? 1 : 0);
