// Load and soak (issue 12 item 4): many containers created, started, killed and deleted in
// parallel, then many sequential runs, with leaks looked for before and after each phase.
//
//   npm run soak                                  1,000 lifecycles 16 at a time, then 10,000 runs
//   npm run soak -- --containers 100 --parallel 8 --runs 300      what .ci/run does
//   OCIRT_BIN=bin/ocirt npm run soak              another build (default: dist/ocirt-exe if built)
//
// Needs root. Runs itself again under scripts/isolated.sh (own pid and mount namespace with a
// reaping pid 1: the inits of created containers are orphans). Leaks looked for: descriptors
// (held by any process of the soak's pid namespace, any process holding one into the state root or
// the bundle; the system-wide count is only reported), mounts, cgroups
// (every hierarchy, by the run's token), state directories and locks, zombies, container
// processes; the runtime's memory is the peak RSS of every 100th command (/usr/bin/time), first
// tenth against last. Exit status 1 on any failed command or leak. Results: stdout, and
// build/soak/latest.json.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name}: expected a non-negative integer, got ${args[i + 1]}`);
  return v;
};
const CONTAINERS = opt('containers', 1000);
const PARALLEL = Math.max(1, opt('parallel', 16));
const RUNS = opt('runs', 10000);
const RSS_EVERY = 100;

if (process.geteuid() !== 0) {
  console.error('soak: needs root (it creates containers and cgroups)');
  process.exit(2);
}
if (!process.env.OCIRT_SOAK_ISOLATED) {
  const r = spawnSync(join(root, 'scripts', 'isolated.sh'), ['node', fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, OCIRT_SOAK_ISOLATED: '1' },
  });
  process.exit(r.status ?? 1);
}

const defaultBin = existsSync(join(root, 'dist', 'ocirt-exe')) ? join(root, 'dist', 'ocirt-exe') : join(root, 'bin', 'ocirt');
const OCIRT = process.env.OCIRT_BIN ? resolve(process.env.OCIRT_BIN) : defaultBin;
const PROBE = join(root, 'build', 'Release', 'ocirt-probe');
if (!existsSync(PROBE)) throw new Error(`${PROBE} missing: npm run build:native`);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const TOKEN = `soak${process.pid.toString(36)}`;
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.OCIRT_FAULT;

// ---- the bundle: the probe, a config like the tests' (pid, ipc, uts, mount, network; limits) ----
const work = mkdtempSync('/tmp/ocirt-soak-');
const stateRoot = join(work, 'root');
const bundle = join(work, 'bundle');
mkdirSync(stateRoot);
for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp']) mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
copyFileSync(PROBE, join(bundle, 'rootfs', 'bin', 'probe'));
chmodSync(join(bundle, 'rootfs', 'bin', 'probe'), 0o755);
chmodSync(work, 0o755);
const config = (argsOfProcess) => ({
  ociVersion: '1.3.0',
  process: {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: argsOfProcess,
    env: ['PATH=/bin'],
    cwd: '/',
    capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: 'rootfs', readonly: true },
  hostname: 'soak',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  ],
  linux: {
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
    resources: { pids: { limit: 64 } },
    maskedPaths: ['/proc/kcore', '/proc/keys'],
    readonlyPaths: ['/proc/sys'],
  },
});
const sleeper = join(work, 'sleeper');
mkdirSync(sleeper);
writeFileSync(
  join(sleeper, 'config.json'),
  JSON.stringify({ ...config(['/bin/probe', 'sleep', '600']), root: { path: join(bundle, 'rootfs'), readonly: true } }),
);
writeFileSync(join(bundle, 'config.json'), JSON.stringify(config(['/bin/probe', 'exit', '0'])));

// ---- what can leak ----
function cgroupsWithToken() {
  const out = [];
  const walk = (dir, left) => {
    let ents;
    try {
      ents = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name.includes(TOKEN)) out.push(p);
      if (left > 0) walk(p, left - 1);
    }
  };
  walk('/sys/fs/cgroup', 6);
  return out;
}

function processes() {
  const zombies = [];
  const containers = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) zombies.push(Number(d));
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith('/bin/probe') || cmd.startsWith('ocirt-init')) containers.push(Number(d));
    } catch {
      // gone
    }
  }
  return { zombies, containers };
}

function fdsInto(paths) {
  const out = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const t = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (paths.some((p) => t.startsWith(p + '/') || t === p)) out.push(`${pid}:${fd} -> ${t}`);
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

// The soak's own descriptors by target; not /dev/null, which Node opens for 'ignore' stdio and may
// keep, nor the directory handle of this very listing (gone when read).
function ownFds() {
  const out = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const t = readlinkSync(`/proc/self/fd/${fd}`);
      if (t !== '/dev/null') out.push(`${fd} -> ${t}`);
    } catch {
      // the listing's own
    }
  }
  return out;
}

// Descriptors held by every process of this pid namespace but the soak itself (scripts/isolated.sh:
// the reaper, leftover containers and runtimes): the system-wide count moves with the neighbours.
function namespaceFds() {
  let n = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      n += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // gone
    }
  }
  return n;
}

function snapshot() {
  const mem = Object.fromEntries(
    readFileSync('/proc/meminfo', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split(':')[0], Number(l.split(/\s+/)[1])]),
  );
  const { zombies, containers } = processes();
  return {
    openFiles: Number(readFileSync('/proc/sys/fs/file-nr', 'utf8').split(/\s+/)[0]),
    namespaceFds: namespaceFds(),
    ownFds: ownFds(),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).length,
    cgroups: cgroupsWithToken(),
    state: readdirSync(stateRoot),
    zombies,
    containers,
    fdsIntoWork: fdsInto([work]),
    memAvailableKb: mem.MemAvailable,
    slabKb: mem.Slab,
  };
}

// ---- running ocirt ----
let commands = 0;
const rss = {}; // command -> [kB...]

/** ocirt args; resolves { status, stderr }. Every RSS_EVERY-th command under /usr/bin/time. */
function ocirt(argv) {
  const n = ++commands;
  const measure = TIME && n % RSS_EVERY === 0;
  const errFile = join(work, `err-${n}`);
  const rssFile = `${errFile}.rss`;
  const err = openSync(errFile, 'w');
  const full = ['--root', stateRoot, ...argv];
  const child = measure
    ? spawn(TIME, ['-f', '%M', '-o', rssFile, OCIRT, ...full], { stdio: ['ignore', 'ignore', err], env })
    : spawn(OCIRT, full, { stdio: ['ignore', 'ignore', err], env });
  return new Promise((res) => {
    child.on('exit', (status, signal) => {
      closeSync(err);
      const stderr = readFileSync(errFile, 'utf8');
      rmSync(errFile, { force: true });
      if (measure && existsSync(rssFile)) {
        (rss[argv[0]] ??= []).push(Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()));
        rmSync(rssFile, { force: true });
      }
      res({ status: signal ? `signal ${signal}` : status, stderr });
    });
  });
}

const failures = [];
const fail = (what, r) => {
  failures.push(`${what}: ${r.status} ${r.stderr.trim()}`);
  if (failures.length <= 20) console.error(`soak: ${what} failed (${r.status}): ${r.stderr.trim()}`);
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function lifecycle(i) {
  const id = `${TOKEN}-c${i}`;
  const c = await ocirt(['create', '-b', sleeper, id]);
  if (c.status !== 0) return fail(`create ${id}`, c);
  const s = await ocirt(['start', id]);
  if (s.status !== 0) return fail(`start ${id}`, s);
  if (i % 50 === 0) {
    // what the container holds: its stdio, nothing of the runtime's
    const pid = JSON.parse(spawnSync(OCIRT, ['--root', stateRoot, 'state', id], { env }).stdout.toString()).pid;
    const fds = readdirSync(`/proc/${pid}/fd`)
      .map(Number)
      .sort((a, b) => a - b);
    if (fds.join(',') !== '0,1,2') failures.push(`container ${id} holds fds ${fds.join(',')}`);
  }
  const k = await ocirt(['kill', id, 'KILL']);
  if (k.status !== 0) return fail(`kill ${id}`, k);
  for (let t = 0; ; t++) {
    const st = spawnSync(OCIRT, ['--root', stateRoot, 'state', id], { env });
    if (st.status === 0 && JSON.parse(st.stdout.toString()).status === 'stopped') break;
    if (t > 2000) return fail(`stop ${id}`, { status: 'timeout', stderr: st.stderr.toString() });
    await sleep(5);
  }
  const d = await ocirt(['delete', id]);
  if (d.status !== 0) fail(`delete ${id}`, d);
}

function leaks(before, after, phase) {
  const out = [];
  const grew = (k) => after[k].filter((x) => !before[k].includes(x));
  if (grew('cgroups').length) out.push(`${phase}: cgroups left: ${grew('cgroups').join(' ')}`);
  if (after.state.length) out.push(`${phase}: state root not empty: ${after.state.join(' ')}`);
  if (grew('containers').length) out.push(`${phase}: container processes left: ${grew('containers').join(' ')}`);
  if (after.zombies.length > before.zombies.length) out.push(`${phase}: zombies ${before.zombies.length} -> ${after.zombies.length}`);
  if (after.mounts !== before.mounts) out.push(`${phase}: mounts ${before.mounts} -> ${after.mounts}`);
  if (grew('ownFds').length) out.push(`${phase}: the soak's own fds grew: ${grew('ownFds').join(', ')}`);
  if (after.fdsIntoWork.length) out.push(`${phase}: fds into the state root or bundle: ${after.fdsIntoWork.join(', ')}`);
  if (after.namespaceFds > before.namespaceFds)
    out.push(`${phase}: fds held in the soak's pid namespace ${before.namespaceFds} -> ${after.namespaceFds}`);
  // the system-wide count (openFiles) is reported, not judged: other suites run on this machine
  return out;
}

const median = (a) => {
  if (!a.length) return undefined;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};

// ---- the phases ----
const results = { ocirt: OCIRT, containers: CONTAINERS, parallel: PARALLEL, runs: RUNS, phases: {} };
const leakList = [];
try {
  const s0 = snapshot();
  let t = Date.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < CONTAINERS; i = next++) await lifecycle(i);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const s1 = snapshot();
  results.phases.lifecycles = {
    ms: Date.now() - t,
    perSecond: +(CONTAINERS / ((Date.now() - t) / 1000)).toFixed(1),
    failures: failures.length,
  };
  leakList.push(...leaks(s0, s1, 'lifecycles'));
  console.error(`soak: ${CONTAINERS} lifecycles (${PARALLEL} at a time) in ${results.phases.lifecycles.ms} ms, ${failures.length} failed`);

  t = Date.now();
  const failedBefore = failures.length;
  for (let i = 0; i < RUNS; i++) {
    const r = await ocirt(['run', '-b', bundle, `${TOKEN}-r${i}`]);
    if (r.status !== 0) fail(`run ${i}`, r);
    if ((i + 1) % 1000 === 0) console.error(`soak: ${i + 1} runs`);
  }
  const s2 = snapshot();
  results.phases.runs = {
    ms: Date.now() - t,
    msPerRun: +((Date.now() - t) / Math.max(1, RUNS)).toFixed(1),
    failures: failures.length - failedBefore,
  };
  leakList.push(...leaks(s1, s2, 'runs'));
  console.error(`soak: ${RUNS} sequential runs in ${results.phases.runs.ms} ms, ${results.phases.runs.failures} failed`);

  results.before = s0;
  results.after = s2;
  results.rssKb = Object.fromEntries(
    Object.entries(rss).map(([cmd, a]) => {
      const tenth = Math.max(1, Math.floor(a.length / 10));
      return [
        cmd,
        { samples: a.length, firstTenthMedian: median(a.slice(0, tenth)), lastTenthMedian: median(a.slice(-tenth)), max: Math.max(...a) },
      ];
    }),
  );
  for (const [cmd, r] of Object.entries(results.rssKb)) {
    // a runtime leaking memory would grow from one invocation to the next: each is a fresh process
    if (r.samples >= 20 && r.lastTenthMedian > r.firstTenthMedian * 1.2 + 1024)
      leakList.push(`peak RSS of ${cmd} grew: ${r.firstTenthMedian} -> ${r.lastTenthMedian} kB`);
  }
} finally {
  // whatever a failure left
  for (const id of readdirSync(stateRoot).filter((n) => !n.startsWith('.')))
    spawnSync(OCIRT, ['--root', stateRoot, 'delete', '--force', id], { env });
  rmSync(work, { recursive: true, force: true });
}
results.failures = failures;
results.leaks = leakList;
mkdirSync(join(root, 'build', 'soak'), { recursive: true });
writeFileSync(join(root, 'build', 'soak', 'latest.json'), JSON.stringify(results, null, 2));
console.log(
  JSON.stringify(
    {
      ocirt: OCIRT,
      lifecycles: results.phases.lifecycles,
      runs: results.phases.runs,
      rssKb: results.rssKb,
      openFilesSystemWide: [results.before?.openFiles, results.after?.openFiles],
      namespaceFds: [results.before?.namespaceFds, results.after?.namespaceFds],
      mounts: [results.before?.mounts, results.after?.mounts],
      slabKb: [results.before?.slabKb, results.after?.slabKb],
      failures: failures.length,
      leaks: leakList,
    },
    null,
    2,
  ),
);
process.exit(failures.length || leakList.length ? 1 : 0);
