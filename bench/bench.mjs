#!/usr/bin/env node
// ocirt start-up / lifecycle benchmark: ocirt vs crun vs runc, paired and alternating.
//
//   npm run bench                     (or: node bench/bench.mjs)
//
// Environment knobs:
//   OCIRT_BIN        ocirt binaries to compare, comma separated, each `path` or `label=path`
//                    (default <repo>/bin/ocirt)
//   BENCH_RUNTIMES   subset of runtimes to run, e.g. "runc,crun" (labels; default: all found)
//   BENCH_N          iterations for the single-command rows (default 20)
//   BENCH_SEQ        containers in the sequential-throughput row (default 100)
//   BENCH_SEQ_ROUNDS rounds of the sequential-throughput row (default 3)
//   BENCH_RSS_N      iterations of the peak-RSS and waiting-init-memory passes (default 5)
//   BENCH_ROOTLESS   0 to skip the rootless rows (default 1)
//   BENCH_NETNS      0 to leave the network namespace out of the config (default 1)
//   BENCH_PRIVATE_NS 0 to run in the host mount namespace (crun then refuses on a hybrid host)
//   BENCH_SECCOMP    0 to skip the seccomp rows (the ~400-name profile of test/fixtures)
//   BUN              path to a bun binary for the floor row (else node_modules/.bin/bun, the devDependency's, PATH)
//   BENCH_PHASES     subset of phases, comma separated (default all): run, lifecycle, sequence,
//                    engine, exec, rootless, seccomp, seq100, rss, initmem
//   BENCH_COVERED    ocirt labels to measure a second time in crun's namespace (the v2 mount
//                    covered: a pure v1 host), as "<label>@v1"
//
// How it runs (see bench/README.md for the reasoning):
//   * The launching process (host mount namespace) snapshots /proc/self/mountinfo, then re-runs
//     this file as `unshare --mount --propagation private -- python3 <subreaper> node bench.mjs`.
//     The inner process, after checking that it really is in a different, private mount
//     namespace, covers /sys/fs/cgroup/unified with a tmpfs when the host is a v1/v2 hybrid
//     (crun refuses to run otherwise). All runtimes run in that same namespace, so none pays a
//     per-command unshare. The tmpfs dies with the namespace; the host mount table is compared
//     afterwards.
//   * The python wrapper is a child subreaper that reaps every orphan: the detached init of a
//     created container is orphaned when `create` exits, and this machine's pid 1 does not reap.
//   * Every timed command is spawned directly (no shell, no wrapper); wall time is
//     process.hrtime.bigint() from spawn() to the 'exit' event. NODE_EXTRA_CA_CERTS is removed
//     from the environment of every timed command.
//   * Peak RSS is measured in a separate, untimed pass under `/usr/bin/time -f %M` (wait4's
//     ru_maxrss of the command: the largest of the process and its waited-for descendants).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const HERE = path.dirname(SELF);
const REPO = path.resolve(HERE, '..');
const RESULTS_DIR = path.join(HERE, 'results');

const intEnv = (k, d) => {
  const v = process.env[k];
  if (v === undefined || v === '') return d;
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 1) throw new Error(`${k} must be a positive integer, got ${v}`);
  return n;
};
const N = intEnv('BENCH_N', 20);
const SEQ = intEnv('BENCH_SEQ', 100);
const SEQ_ROUNDS = intEnv('BENCH_SEQ_ROUNDS', 3);
const RSS_N = intEnv('BENCH_RSS_N', 5);
const ROOTLESS = process.env.BENCH_ROOTLESS !== '0';
const NETNS = process.env.BENCH_NETNS !== '0';
const PRIVATE_NS = process.env.BENCH_PRIVATE_NS !== '0';
const SECCOMP = process.env.BENCH_SECCOMP !== '0';
// The same profile for every runtime: default deny (EPERM), ~400 syscall names, some argument rules.
const SECCOMP_PROFILE = path.join(REPO, 'test', 'fixtures', 'seccomp-profile-400.json');
const BENCH_USER = 'ocirt-bench';
const PHASES = new Set(
  (process.env.BENCH_PHASES || 'run,lifecycle,sequence,engine,exec,rootless,seccomp,seq100,rss,initmem').split(',').map((x) => x.trim()),
);
const COVERED = new Set(
  (process.env.BENCH_COVERED || '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

// ---------------------------------------------------------------------------------------------
// Small helpers

function which(name) {
  for (const dir of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {}
  }
  return null;
}
const isExec = (p) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};
const median = (a) => {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const min = (a) => (a.length ? Math.min(...a) : NaN);
const max = (a) => (a.length ? Math.max(...a) : NaN);
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '—');
const rotate = (arr, k) => (arr.length ? arr.map((_, i) => arr[(i + k) % arr.length]) : arr);
const firstLine = (s) => (s || '').trim().split('\n').filter(Boolean).slice(-1)[0] || '';
const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
const mountLines = (p = '/proc/self/mountinfo') => fs.readFileSync(p, 'utf8').split('\n').filter(Boolean);

// Environment of every timed command: NODE_EXTRA_CA_CERTS removed.
const ORIG_NEC = process.env.OCIRT_BENCH_NEC ?? process.env.NODE_EXTRA_CA_CERTS;
const BASE_ENV = { ...process.env };
delete BASE_ENV.NODE_EXTRA_CA_CERTS;
delete BASE_ENV.OCIRT_BENCH_NEC;
delete BASE_ENV.OCIRT_BENCH_INNER;
delete BASE_ENV.OCIRT_BENCH_HOST_MNTNS;
delete BASE_ENV.OCIRT_BENCH_TMP;
delete BASE_ENV.OCIRT_BENCH_SERVER;
delete BASE_ENV.OCIRT_BENCH_PARENT_MNTNS;

// ---------------------------------------------------------------------------------------------
// Outer process: host mount namespace. Starts the inner run in a private one, then checks.

const REAPER = String.raw`
import ctypes, os, sys, signal, time
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.stderr.write("bench: warning: PR_SET_CHILD_SUBREAPER failed\n")
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, lambda s, f: os.kill(pid, s))
status = 1
while True:
    try:
        p, st = os.wait()
    except ChildProcessError:
        break
    except InterruptedError:
        continue
    if p == pid:
        status = os.waitstatus_to_exitcode(st)
        break
deadline = time.time() + 3
left = 0
while time.time() < deadline:
    try:
        p, st = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        left = 0
        break
    left = 1
    if p == 0:
        time.sleep(0.05)
if left:
    sys.stderr.write("bench: WARNING: processes left behind under the reaper\n")
sys.exit(status if status >= 0 else 128 - status)
`;

function outerMain() {
  if (process.getuid() !== 0) {
    console.error('bench: must run as root (it creates containers with runc/crun/ocirt)');
    process.exit(2);
  }
  const python = isExec('/usr/bin/python3') ? '/usr/bin/python3' : which('python3');
  if (!python) {
    console.error('bench: needs python3 (for the child-subreaper wrapper)');
    process.exit(2);
  }
  const hostMountsBefore = mountLines();
  const hostNs = fs.readlinkSync('/proc/self/ns/mnt');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-bench-'));
  fs.chmodSync(tmp, 0o755); // the rootless user must traverse it
  const env = {
    ...process.env,
    OCIRT_BENCH_INNER: PRIVATE_NS ? 'private' : 'host',
    OCIRT_BENCH_HOST_MNTNS: hostNs,
    OCIRT_BENCH_TMP: tmp,
  };
  delete env.NODE_EXTRA_CA_CERTS; // the inner node starts faster; the value is kept for the floor row
  if (ORIG_NEC) env.OCIRT_BENCH_NEC = ORIG_NEC;
  const inner = [python, '-c', REAPER, process.execPath, SELF];
  const argv = PRIVATE_NS ? ['unshare', '--mount', '--propagation', 'private', '--', ...inner] : inner;
  // Let the inner process handle ^C (it cleans up); we only wait for it.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env });
  if (r.error) console.error(`bench: could not start the inner run: ${r.error.message}`);

  // Post-run checks, in the host mount namespace.
  console.log('\n## Clean-up check (host)');
  const after = mountLines();
  const before = new Set(hostMountsBefore);
  const afterSet = new Set(after);
  const added = after.filter((l) => !before.has(l));
  const removed = hostMountsBefore.filter((l) => !afterSet.has(l));
  const ours = (l) => l.includes(tmp) || / \/sys\/fs\/cgroup/.test(l) || l.includes('ocirt-bench');
  const oursChanged = [...added, ...removed].filter(ours);
  const other = [...added, ...removed].length - oursChanged.length;
  if (!added.length && !removed.length) {
    console.log(`- host mount table unchanged (${after.length} entries in /proc/self/mountinfo)`);
  } else if (!oursChanged.length) {
    console.log(
      `- no host mount involving the bench temp dir, /sys/fs/cgroup or "ocirt-bench" appeared or vanished; ` +
        `${other} unrelated change(s) by other processes during the run:`,
    );
    for (const l of added) console.log(`  + ${l}`);
    for (const l of removed) console.log(`  - ${l}`);
  } else {
    console.log('- WARNING: host mounts involving the bench changed:');
    for (const l of oursChanged) console.log(`  ${added.includes(l) ? '+' : '-'} ${l}`);
  }
  const leftovers = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(tmp)) leftovers.push(`${p}: ${cmd.replace(/\0/g, ' ')}`);
    } catch {}
  }
  console.log(
    leftovers.length ? `- WARNING: processes still reference ${tmp}:\n  ${leftovers.join('\n  ')}` : '- no process references the temp dir',
  );
  if (fs.existsSync(tmp)) {
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
      console.log(`- removed leftover temp dir ${tmp}`);
    } catch (e) {
      console.log(`- WARNING: could not remove ${tmp}: ${e.message}`);
    }
  } else {
    console.log(`- temp dir ${tmp} removed`);
  }
  const cg = leftoverCgroups();
  console.log(cg.length ? `- WARNING: cgroups left behind: ${cg.join(' ')}` : '- no bench cgroups left under /sys/fs/cgroup');
  process.exit(r.status ?? 1);
}

function leftoverCgroups() {
  const out = [];
  const walk = (dir, depth, inOurs) => {
    let ents;
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      const ours = inOurs || e.name.startsWith('ocb-');
      if (ours || depth < 2) walk(p, depth + 1, ours);
      if (ours) out.push(p);
    }
  };
  walk('/sys/fs/cgroup', 0, false);
  // children before their parents (the engine rows nest containers under /ocb-engine)
  return out.sort((a, b) => b.split('/').length - a.split('/').length);
}

// ---------------------------------------------------------------------------------------------
// Inner process: private mount namespace, child of the subreaper.

const tmp = process.env.OCIRT_BENCH_TMP;
let interrupted = false;
const tracked = new Map(); // rt.label -> Set of container ids that may exist (rootful)
const trackedRl = new Map(); // rootless

let outSeq = 0;
const IO_PREFIX = process.env.OCIRT_BENCH_SERVER ? 'srv-' : '';
/** Spawn argv (no shell); resolve {code, signal, ms, stdout, stderr}. Time from spawn() to exit. */
function runCmd(argv, { env = BASE_ENV, timeout = 30000 } = {}) {
  // stdout/stderr go to files, not pipes: a created container inherits the runtime's stdio and
  // would hold a pipe open. Files are opened before the clock starts.
  const n = outSeq++ % 2;
  const outPath = path.join(tmp, `${IO_PREFIX}out${n}`);
  const errPath = path.join(tmp, `${IO_PREFIX}err${n}`);
  const outFd = fs.openSync(outPath, 'w');
  const errFd = fs.openSync(errPath, 'w');
  return new Promise((resolve) => {
    let child;
    let settled = false;
    const done = (res) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        fs.closeSync(outFd);
      } catch {}
      try {
        fs.closeSync(errFd);
      } catch {}
      res.stdout = fs.readFileSync(outPath, 'utf8');
      res.stderr = (res.stderr || '') + fs.readFileSync(errPath, 'utf8');
      resolve(res);
    };
    let timer;
    const t0 = process.hrtime.bigint();
    try {
      child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', outFd, errFd] });
    } catch (e) {
      done({ code: -1, signal: null, ms: NaN, stderr: String(e.message) });
      return;
    }
    child.on('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      done({ code, signal, ms });
    });
    child.on('error', (e) => done({ code: -1, signal: null, ms: NaN, stderr: `${e.message}\n` }));
    timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  });
}
const ok = (r) => r.code === 0;
const why = (argv, r) =>
  `\`${argv.join(' ').replaceAll(tmp, '$TMP')}\` ` +
  `${r.signal ? `killed by ${r.signal}` : `exited ${r.code}`}: ${firstLine(r.stderr) || firstLine(r.stdout) || '(no output)'}`;

function checkInterrupted() {
  if (interrupted) throw new Error('interrupted');
}

// --- environment set-up -----------------------------------------------------------------------

function isHybrid() {
  const f = mountLines().map((l) => l.split(' '));
  const fstype = (x) => x[x.indexOf('-') + 1];
  const unified = f.filter((x) => x[4] === '/sys/fs/cgroup/unified');
  const top = f.filter((x) => x[4] === '/sys/fs/cgroup');
  return Boolean(unified.length && fstype(unified.at(-1)) === 'cgroup2' && !(top.length && fstype(top.at(-1)) === 'cgroup2'));
}

/** Throws unless this process is in a mount namespace other than `parentNs` and pid 1's. */
function assertPrivateNs(parentNs) {
  const myNs = fs.readlinkSync('/proc/self/ns/mnt');
  let initNs = null;
  try {
    initNs = fs.readlinkSync('/proc/1/ns/mnt');
  } catch {}
  if (!parentNs || myNs === parentNs || myNs === initNs) throw new Error('refusing to mount: not in a private mount namespace');
  return myNs;
}

/** In the crun helper's own namespace only: cover /sys/fs/cgroup/unified with a tmpfs. */
function coverUnified(parentNs) {
  assertPrivateNs(parentNs);
  const lines = mountLines().map((l) => l.split(' '));
  for (const mp of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    const f = lines.filter((x) => x[4] === mp).at(-1);
    const opt = f ? f.slice(6, f.indexOf('-')).join(' ') : '';
    if (/shared:/.test(opt)) throw new Error(`refusing to mount: ${mp} is a shared mount in this namespace`);
  }
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'ocirt-bench', '/sys/fs/cgroup/unified'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs on /sys/fs/cgroup/unified failed: ${r.stderr}`);
}

function setupPrivateNamespace() {
  const notes = [];
  if (process.env.OCIRT_BENCH_INNER !== 'private') {
    notes.push('runs in the host mount namespace (BENCH_PRIVATE_NS=0): nothing is mounted; crun refuses a hybrid host');
    return notes;
  }
  const myNs = assertPrivateNs(process.env.OCIRT_BENCH_HOST_MNTNS);
  notes.push(
    `runs in a private mount namespace (${myNs}; host ${process.env.OCIRT_BENCH_HOST_MNTNS}) that is a plain copy of the host's, under a child-subreaper; a mount a runtime leaks lands there, not on the host`,
  );
  if (isHybrid()) {
    NEED_COVER = true;
    notes.push(
      'host is cgroup v1/v2 hybrid: crun runs in a nested private mount namespace where /sys/fs/cgroup/unified is covered with a tmpfs ' +
        "(crun refuses hybrid otherwise); a long-lived helper in that namespace spawns and times crun exactly as the main process times ocirt and runc (spawn to exit), so crun pays no per-command unshare. ocirt and runc see the host's cgroup mounts unchanged",
    );
  }
  return notes;
}

// --- crun helper: a node process in a nested namespace, serving spawn requests ---------------

async function serverMain() {
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const { createInterface } = await import('node:readline');
  try {
    coverUnified(process.env.OCIRT_BENCH_PARENT_MNTNS);
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ ready: false, error: e.message }) + '\n');
    process.exit(1);
  }
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    const r = await runCmd(req.argv, { env: req.env, timeout: req.timeout });
    process.stdout.write(JSON.stringify({ id: req.id, ...r }) + '\n');
  }
  process.exit(0);
}

function startServer() {
  const argv = ['unshare', '--mount', '--propagation', 'private', '--', process.execPath, SELF];
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...BASE_ENV, OCIRT_BENCH_SERVER: '1', OCIRT_BENCH_TMP: tmp, OCIRT_BENCH_PARENT_MNTNS: fs.readlinkSync('/proc/self/ns/mnt') },
  });
  const pending = new Map();
  let seq = 0;
  let readyRes;
  const ready = new Promise((r) => {
    readyRes = r;
  });
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if ('ready' in msg) readyRes(msg);
      else {
        pending.get(msg.id)?.(msg);
        pending.delete(msg.id);
      }
    }
  });
  child.on('exit', (code) => {
    readyRes({ ready: false, error: `helper exited ${code}` });
    for (const [, res] of pending) res({ code: -1, signal: null, ms: NaN, stdout: '', stderr: 'crun helper exited' });
    pending.clear();
    server.dead = true;
  });
  const server = {
    dead: false,
    ready,
    run(cmdArgv, { env = BASE_ENV, timeout = 30000 } = {}) {
      if (server.dead) return Promise.resolve({ code: -1, signal: null, ms: NaN, stdout: '', stderr: 'crun helper not running' });
      const id = seq++;
      return new Promise((res) => {
        pending.set(id, res);
        child.stdin.write(JSON.stringify({ id, argv: cmdArgv, env, timeout }) + '\n');
      });
    },
    async close() {
      if (server.dead) return;
      const done = new Promise((r) => child.on('exit', r));
      child.stdin.end();
      await Promise.race([done, sleepMs(5000)]);
    },
  };
  return server;
}

/** Runs a runtime's command where that runtime lives (crun: the helper's namespace). */
function rtRun(rt, argv, opts) {
  return rt.server ? rt.server.run(argv, opts) : runCmd(argv, opts);
}

function ensureUser() {
  let r = spawnSync('id', ['-u', BENCH_USER], { encoding: 'utf8' });
  if (r.status !== 0) {
    const a = spawnSync('useradd', ['-m', BENCH_USER], { encoding: 'utf8' });
    if (a.status !== 0) throw new Error(`useradd -m ${BENCH_USER} failed: ${a.stderr}`);
    r = spawnSync('id', ['-u', BENCH_USER], { encoding: 'utf8' });
  }
  const uid = Number(r.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', BENCH_USER], { encoding: 'utf8' }).stdout.trim());
  let home = `/home/${BENCH_USER}`;
  try {
    home =
      fs
        .readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f[0] === BENCH_USER)[5] || home;
  } catch {}
  return { uid, gid, home };
}

function buildRootfs(dir) {
  const bb = isExec('/bin/busybox') ? '/bin/busybox' : which('busybox');
  if (!bb) throw new Error('busybox not found (apt-get install busybox-static)');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.copyFileSync(bb, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const list = spawnSync(bb, ['--list'], { encoding: 'utf8' });
  const applets = new Set(['sh', 'true', 'sleep']);
  if (list.status === 0) for (const a of list.stdout.split('\n')) if (/^[\w.[-]+$/.test(a) && a !== 'busybox') applets.add(a);
  for (const a of applets) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\n');
  return { busybox: bb, applets: applets.size };
}

const CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];
const MASKED = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * The fixed config used for every runtime: `runc spec` (1.1.5) defaults, terminal false, no
 * linux.resources (no cgroup limits), no cgroupsPath. Rootless: `runc spec --rootless` defaults
 * with the bench user's ids in the mappings.
 */
function makeConfig({ rootfs, args, rootless, uid, gid }) {
  const caps = rootless ? ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'] : CAPS;
  const mounts = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(rootless ? [] : ['gid=5'])],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    rootless || !NETNS
      ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
  const namespaces = [{ type: 'pid' }];
  if (NETNS && !rootless) namespaces.push({ type: 'network' });
  namespaces.push({ type: 'ipc' }, { type: 'uts' }, { type: 'mount' });
  if (rootless) namespaces.push({ type: 'user' });
  const linux = { namespaces, maskedPaths: MASKED, readonlyPaths: READONLY };
  if (rootless) {
    linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
    linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  }
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: 'ocirt-bench',
    mounts,
    linux,
  };
}

function writeBundle(dir, config) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

// --- runtimes ---------------------------------------------------------------------------------

function discoverRuntimes(user) {
  const list = [];
  const spec = process.env.OCIRT_BIN || path.join(REPO, 'bin/ocirt');
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  entries.forEach((e, i) => {
    const eq = e.indexOf('=');
    const label = eq > 0 ? e.slice(0, eq) : entries.length > 1 ? `ocirt-${i + 1}` : 'ocirt';
    const bin = path.resolve(eq > 0 ? e.slice(eq + 1) : e);
    list.push({ label, kind: 'ocirt', bin });
  });
  for (const e of list.filter((x) => COVERED.has(x.label))) list.push({ label: `${e.label}@v1`, kind: 'ocirt', bin: e.bin, covered: true });
  for (const name of ['runc', 'crun']) {
    const bin = which(name) || ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'].map((d) => `${d}/${name}`).find(isExec);
    list.push({ label: name, kind: name, bin: bin || null });
  }
  const only = process.env.BENCH_RUNTIMES ? new Set(process.env.BENCH_RUNTIMES.split(',').map((s) => s.trim())) : null;
  const rts = [];
  list.forEach((rt, idx) => {
    if (only && !only.has(rt.label) && !only.has(rt.kind)) return;
    rt.idx = idx;
    rt.root = path.join(tmp, 'state', `${idx}-${rt.kind}`);
    rt.rlRoot = path.join(tmp, 'xdg', `${idx}-${rt.kind}`);
    rt.cmd = (args) => [rt.bin, '--root', rt.root, ...args];
    rt.rlCmd = (args) => ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', rt.bin, '--root', rt.rlRoot, ...args];
    rt.ok = false;
    rt.rootlessOk = false;
    tracked.set(rt.label, new Set());
    trackedRl.set(rt.label, new Set());
    rts.push(rt);
  });
  return rts;
}

let idSeq = 0;
const newId = (rt) => `ocb-${rt.idx}-${process.pid}-${idSeq++}`;

async function stateOf(rt, id, rootless = false) {
  const r = await rtRun(rt, rootless ? rt.rlCmd(['state', id]) : rt.cmd(['state', id]), { env: rootless ? RL_ENV : BASE_ENV });
  if (!ok(r)) return { r, state: null };
  try {
    return { r, state: JSON.parse(r.stdout) };
  } catch {
    return { r, state: null };
  }
}

async function waitStopped(rt, id, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const { state } = await stateOf(rt, id);
    if (state && state.status === 'stopped') return true;
    await sleepMs(2);
  }
  return false;
}

async function forceDelete(rt, id, rootless = false) {
  const argv = rootless ? rt.rlCmd(['delete', '--force', id]) : rt.cmd(['delete', '--force', id]);
  await rtRun(rt, argv, { env: rootless ? RL_ENV : BASE_ENV, timeout: 10000 });
  (rootless ? trackedRl : tracked).get(rt.label).delete(id);
}

// --- results ----------------------------------------------------------------------------------

const timings = new Map(); // row -> Map(label -> number[])
const failures = new Map(); // row -> Map(label -> [messages])
const rss = new Map(); // command -> Map(label -> kB[])
const initMem = new Map(); // label -> [{...}]
const seqRuns = new Map(); // label -> [{totalMs, perMs:[]}]
const ROW_ORDER = [];

function rec(map, row, label, v) {
  if (!map.has(row)) {
    map.set(row, new Map());
    if (map === timings && !ROW_ORDER.includes(row)) ROW_ORDER.push(row);
  }
  const m = map.get(row);
  if (!m.has(label)) m.set(label, []);
  m.get(label).push(v);
}
const fail = (row, label, msg) => rec(failures, row, label, msg);

// --- benchmark phases --------------------------------------------------------------------------

let B; // bundles
let RL_ENV;

async function warmUp(rt) {
  if (!rt.bin) return 'not installed';
  if (!isExec(rt.bin)) return `${rt.bin} is not executable / not found`;
  const v = await runCmd([rt.bin, '--version']);
  rt.version = ok(v) ? v.stdout.trim().split('\n')[0] : `(--version failed: ${firstLine(v.stderr)})`;
  fs.mkdirSync(rt.root, { recursive: true });
  // run of /bin/true
  const id = newId(rt);
  tracked.get(rt.label).add(id);
  let argv = rt.cmd(['run', '--bundle', B.true, id]);
  let r = await rtRun(rt, argv);
  if (!ok(r)) {
    await forceDelete(rt, id);
    return why(argv, r);
  }
  tracked.get(rt.label).delete(id);
  // lifecycle with a sleeping process
  const id2 = newId(rt);
  tracked.get(rt.label).add(id2);
  for (const args of [
    ['create', '--bundle', B.sleep, id2],
    ['start', id2],
    ['state', id2],
    ['kill', id2, 'KILL'],
  ]) {
    argv = rt.cmd(args);
    r = await rtRun(rt, argv);
    if (!ok(r)) {
      await forceDelete(rt, id2);
      return why(argv, r);
    }
    if (args[0] === 'state') {
      try {
        const st = JSON.parse(r.stdout);
        if (!st.pid || st.status !== 'running') throw new Error(`status ${st.status}, pid ${st.pid}`);
      } catch (e) {
        await forceDelete(rt, id2);
        return `\`state\` output not usable: ${e.message}`;
      }
    }
  }
  if (!(await waitStopped(rt, id2))) {
    await forceDelete(rt, id2);
    return 'container did not reach "stopped" within 3 s after kill KILL';
  }
  argv = rt.cmd(['delete', id2]);
  r = await rtRun(rt, argv);
  if (!ok(r)) {
    await forceDelete(rt, id2);
    return why(argv, r);
  }
  tracked.get(rt.label).delete(id2);
  return null;
}

async function warmUpRootless(rt) {
  fs.mkdirSync(rt.rlRoot, { recursive: true });
  fs.chownSync(rt.rlRoot, USER.uid, USER.gid);
  const id = newId(rt);
  trackedRl.get(rt.label).add(id);
  const argv = rt.rlCmd(['run', '--bundle', B.rlTrue, id]);
  const r = await rtRun(rt, argv, { env: RL_ENV });
  if (!ok(r)) {
    await forceDelete(rt, id, true);
    return why(argv, r);
  }
  trackedRl.get(rt.label).delete(id);
  return null;
}

/** Runs `work(rt, i)` for i < n, each iteration over all runtimes in a rotated order. */
async function alternate(rts, n, work) {
  for (let i = 0; i < n; i++) {
    for (const rt of rotate(rts, i)) {
      checkInterrupted();
      await work(rt, i);
    }
  }
}

async function timedRun(row, rt, argv, env = BASE_ENV) {
  const r = await rtRun(rt, argv, { env });
  if (ok(r)) rec(timings, row, rt.label, r.ms);
  else fail(row, rt.label, why(argv, r));
  return r;
}

async function phaseRun(rts) {
  await alternate(rts, N, async (rt) => {
    const id = newId(rt);
    tracked.get(rt.label).add(id);
    const r = await timedRun('run /bin/true', rt, rt.cmd(['run', '--bundle', B.true, id]));
    if (ok(r)) tracked.get(rt.label).delete(id);
    else await forceDelete(rt, id);
  });
}

async function phaseLifecycle(rts) {
  await alternate(rts, N, async (rt) => {
    const id = newId(rt);
    tracked.get(rt.label).add(id);
    let total = 0;
    for (const [row, args] of [
      ['create', ['create', '--bundle', B.sleep, id]],
      ['start', ['start', id]],
      ['state', ['state', id]],
      ['kill', ['kill', id, 'KILL']],
    ]) {
      const r = await timedRun(row, rt, rt.cmd(args));
      if (!ok(r)) return forceDelete(rt, id);
      total += r.ms;
    }
    if (!(await waitStopped(rt, id))) {
      fail('delete', rt.label, 'not stopped 3 s after kill');
      return forceDelete(rt, id);
    }
    const r = await timedRun('delete', rt, rt.cmd(['delete', id]));
    if (!ok(r)) return forceDelete(rt, id);
    tracked.get(rt.label).delete(id);
    rec(timings, 'create+start+state+kill+delete (sleep)', rt.label, total + r.ms);
  });
}

const EXEC_ROW = 'exec /bin/true (running container)';
const EXEC_D_ROW = 'exec -d /bin/true (running container)';
/** One running container per runtime (create + start, untimed); exec of /bin/true into it, foreground and detached. */
async function phaseExec(rts) {
  const ids = new Map();
  for (const rt of rts) {
    const id = newId(rt);
    tracked.get(rt.label).add(id);
    for (const args of [
      ['create', '--bundle', B.sleep, id],
      ['start', id],
    ]) {
      const argv = rt.cmd(args);
      const r = await rtRun(rt, argv);
      if (!ok(r)) {
        fail(EXEC_ROW, rt.label, `setting up the container: ${why(argv, r)}`);
        await forceDelete(rt, id);
        break;
      }
      if (args[0] === 'start') ids.set(rt.label, id);
    }
  }
  const ready = rts.filter((rt) => ids.has(rt.label));
  await alternate(ready, N, async (rt) => {
    const id = ids.get(rt.label);
    await timedRun(EXEC_ROW, rt, rt.cmd(['exec', id, '/bin/true']));
    await timedRun(EXEC_D_ROW, rt, rt.cmd(['exec', '-d', id, '/bin/true']));
  });
  for (const rt of ready) await forceDelete(rt, ids.get(rt.label));
}

const SEQ_ROW = 'sequence create+start+state+delete (/bin/true)';
const seqRetries = new Map();
async function phaseSequence(rts) {
  await alternate(rts, N, async (rt) => {
    const id = newId(rt);
    tracked.get(rt.label).add(id);
    let total = 0;
    for (const args of [
      ['create', '--bundle', B.true, id],
      ['start', id],
      ['state', id],
    ]) {
      const argv = rt.cmd(args);
      const r = await rtRun(rt, argv);
      if (!ok(r)) {
        fail(SEQ_ROW, rt.label, why(argv, r));
        return forceDelete(rt, id);
      }
      total += r.ms;
    }
    const argv = rt.cmd(['delete', id]);
    let r = await rtRun(rt, argv);
    if (!ok(r)) {
      // /bin/true had not exited yet: wait (untimed) and time one more delete; counted.
      seqRetries.set(rt.label, (seqRetries.get(rt.label) || 0) + 1);
      total += r.ms;
      await waitStopped(rt, id);
      r = await rtRun(rt, argv);
      if (!ok(r)) {
        fail(SEQ_ROW, rt.label, why(argv, r));
        return forceDelete(rt, id);
      }
    }
    total += r.ms;
    tracked.get(rt.label).delete(id);
    rec(timings, SEQ_ROW, rt.label, total);
  });
}

async function phaseRootless(rts) {
  await alternate(rts, N, async (rt) => {
    const id = newId(rt);
    trackedRl.get(rt.label).add(id);
    const r = await timedRun('rootless run /bin/true (via setpriv)', rt, rt.rlCmd(['run', '--bundle', B.rlTrue, id]), RL_ENV);
    if (ok(r)) trackedRl.get(rt.label).delete(id);
    else await forceDelete(rt, id, true);
  });
}

async function phaseSeq100(rts) {
  for (let round = 0; round < SEQ_ROUNDS; round++) {
    for (const rt of rotate(rts, round)) {
      const per = [];
      let failed = 0;
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < SEQ; k++) {
        checkInterrupted();
        const id = newId(rt);
        tracked.get(rt.label).add(id);
        const argv = rt.cmd(['run', '--bundle', B.true, id]);
        const r = await rtRun(rt, argv);
        if (ok(r)) {
          per.push(r.ms);
          tracked.get(rt.label).delete(id);
        } else {
          failed++;
          fail(`${SEQ} sequential runs`, rt.label, why(argv, r));
          await forceDelete(rt, id);
        }
      }
      const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
      rec(seqRuns, 'seq', rt.label, { totalMs, per, failed });
    }
  }
}

// --- engine-like config: cgroupsPath plus memory, pids, cpu and device rules ------------------

/**
 * linux.resources as podman and containerd send them: a deny-all device rule followed by the
 * default device allow list, a memory limit with swap, a pids limit and a CPU quota.
 */
const ENGINE_DEVICES = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...[
    [1, 3],
    [1, 8],
    [1, 7],
    [5, 0],
    [1, 5],
    [1, 9],
    [5, 1],
    [5, 2],
    [10, 200],
  ].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];
const ENGINE_RESOURCES = {
  devices: ENGINE_DEVICES,
  memory: { limit: 536870912, swap: 1073741824 },
  cpu: { shares: 1024, quota: 100000, period: 100000 },
  pids: { limit: 2048 },
};
const ENGINE_PARENT = 'ocb-engine';

/** A bundle for one container id (written untimed): cgroupsPath /ocb-engine/<id>, as engines nest theirs. */
function engineBundle(id, args) {
  const config = makeConfig({ rootfs: path.join(tmp, 'rootfs'), args });
  config.linux.cgroupsPath = `/${ENGINE_PARENT}/${id}`;
  config.linux.resources = ENGINE_RESOURCES;
  return writeBundle(path.join(tmp, 'engine', id), config);
}

const ENGINE_RUN = 'engine-like run /bin/true';
const ENGINE_SEQ = 'engine-like create+start+state+delete (/bin/true)';
async function phaseEngine(rts) {
  await alternate(rts, N, async (rt) => {
    let id = newId(rt);
    tracked.get(rt.label).add(id);
    const r = await timedRun(ENGINE_RUN, rt, rt.cmd(['run', '--bundle', engineBundle(id, ['/bin/true']), id]));
    if (ok(r)) tracked.get(rt.label).delete(id);
    else await forceDelete(rt, id);
    fs.rmSync(path.join(tmp, 'engine', id), { recursive: true, force: true });

    id = newId(rt);
    tracked.get(rt.label).add(id);
    const bundle = engineBundle(id, ['/bin/true']);
    let total = 0;
    let failed = false;
    for (const args of [
      ['create', '--bundle', bundle, id],
      ['start', id],
      ['state', id],
      ['delete', id],
    ]) {
      const argv = rt.cmd(args);
      let s = await rtRun(rt, argv);
      if (!ok(s) && args[0] === 'delete') {
        // /bin/true had not exited yet: wait (untimed) and time one more delete; counted.
        total += s.ms;
        await waitStopped(rt, id);
        s = await rtRun(rt, argv);
      }
      if (!ok(s)) {
        fail(ENGINE_SEQ, rt.label, why(argv, s));
        failed = true;
        break;
      }
      total += s.ms;
    }
    if (failed) await forceDelete(rt, id);
    else {
      tracked.get(rt.label).delete(id);
      rec(timings, ENGINE_SEQ, rt.label, total);
    }
    fs.rmSync(path.join(tmp, 'engine', id), { recursive: true, force: true });
  });
}

const SC_ROW = 'run /bin/true, ~400-name seccomp profile';
const SC_COLD_ROW = 'run /bin/true, ~400-name seccomp profile, ocirt compile cache emptied first';
const SC_PLAIN_ROW = 'run /bin/true, no profile (paired with the seccomp rows)';

/**
 * The profile's cost: the same `run /bin/true` with the profile and without it, in the same
 * iteration, paired across runtimes (each checked once to really run under the profile: Seccomp 2
 * in /proc/self/status), and for ocirt once more with its cache of compiled programs removed
 * before the run (untimed), i.e. with libseccomp compiling the profile.
 */
async function phaseSeccomp(rts) {
  const usable = [];
  for (const rt of rts) {
    const id = newId(rt);
    tracked.get(rt.label).add(id);
    const argv = rt.cmd(['run', '--bundle', B.seccompCheck, id]);
    const r = await rtRun(rt, argv);
    if (ok(r) && /^Seccomp:\s+2$/m.test(r.stdout)) {
      tracked.get(rt.label).delete(id);
      usable.push(rt);
    } else {
      fail(SC_ROW, rt.label, ok(r) ? `not filtered: ${firstLine(r.stdout) || '(no Seccomp line)'}` : why(argv, r));
      await forceDelete(rt, id);
    }
  }
  await alternate(usable, N, async (rt) => {
    const rows = [
      [SC_PLAIN_ROW, B.true, false],
      [SC_ROW, B.seccomp, false],
    ];
    if (rt.kind === 'ocirt') rows.push([SC_COLD_ROW, B.seccomp, true]);
    for (const [row, bundle, cold] of rows) {
      if (cold) fs.rmSync(path.join(rt.root, '.seccomp-cache'), { recursive: true, force: true });
      const id = newId(rt);
      tracked.get(rt.label).add(id);
      const r = await timedRun(row, rt, rt.cmd(['run', '--bundle', bundle, id]));
      if (ok(r)) tracked.get(rt.label).delete(id);
      else await forceDelete(rt, id);
    }
  });
}

const TIME = '/usr/bin/time';
async function withRss(key, rt, argv, env = BASE_ENV) {
  const f = path.join(tmp, 'rss');
  const r = await rtRun(rt, [TIME, '-f', '%M', '-o', f, ...argv], { env });
  if (!ok(r)) return r;
  const kb = Number.parseInt(fs.readFileSync(f, 'utf8').trim().split('\n').at(-1), 10);
  if (Number.isFinite(kb)) rec(rss, key, rt.label, kb);
  return r;
}

async function phaseRss(rts) {
  await alternate(rts, RSS_N, async (rt) => {
    let id = newId(rt);
    tracked.get(rt.label).add(id);
    let r = await withRss('run', rt, rt.cmd(['run', '--bundle', B.true, id]));
    if (ok(r)) tracked.get(rt.label).delete(id);
    else await forceDelete(rt, id);
    id = newId(rt);
    tracked.get(rt.label).add(id);
    for (const args of [
      ['create', '--bundle', B.sleep, id],
      ['start', id],
      ['state', id],
      ['kill', id, 'KILL'],
    ]) {
      r = await withRss(args[0], rt, rt.cmd(args));
      if (!ok(r)) return forceDelete(rt, id);
    }
    await waitStopped(rt, id);
    r = await withRss('delete', rt, rt.cmd(['delete', id]));
    if (ok(r)) tracked.get(rt.label).delete(id);
    else await forceDelete(rt, id);
  });
  if (ROOTLESS) {
    await alternate(
      rts.filter((rt) => rt.rootlessOk),
      RSS_N,
      async (rt) => {
        const id = newId(rt);
        trackedRl.get(rt.label).add(id);
        const r = await withRss('rootless run', rt, rt.rlCmd(['run', '--bundle', B.rlTrue, id]), RL_ENV);
        if (ok(r)) trackedRl.get(rt.label).delete(id);
        else await forceDelete(rt, id, true);
      },
    );
  }
}

function smapsRollup(pid) {
  const out = {};
  const txt = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  for (const l of txt.split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(l);
    if (m) out[m[1]] = Number(m[2]);
  }
  try {
    out.comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {}
  return out;
}

async function phaseInitMem(rts) {
  await alternate(rts, RSS_N, async (rt) => {
    const id = newId(rt);
    tracked.get(rt.label).add(id);
    const r = await rtRun(rt, rt.cmd(['create', '--bundle', B.sleep, id]));
    if (ok(r)) {
      const { state } = await stateOf(rt, id);
      if (state?.pid) {
        try {
          const s = smapsRollup(state.pid);
          rec(initMem, 'init', rt.label, { ...s, status: state.status });
        } catch (e) {
          fail('waiting init memory', rt.label, `smaps_rollup of pid ${state.pid}: ${e.message}`);
        }
      } else fail('waiting init memory', rt.label, 'no pid in state');
    } else fail('waiting init memory', rt.label, why(rt.cmd(['create']), r));
    await forceDelete(rt, id);
  });
}

async function phaseFloor(rts) {
  const floors = [];
  floors.push({ label: 'node -e 0 (NODE_EXTRA_CA_CERTS unset)', argv: [process.execPath, '-e', '0'], env: BASE_ENV });
  const nec = ORIG_NEC || (fs.existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : null);
  if (nec)
    floors.push({
      label: `node -e 0 (NODE_EXTRA_CA_CERTS=${nec})`,
      argv: [process.execPath, '-e', '0'],
      env: { ...BASE_ENV, NODE_EXTRA_CA_CERTS: nec },
    });
  const bun = [
    process.env.BUN,
    path.join(REPO, 'node_modules/.bin/bun'),
    path.join(REPO, 'node_modules/@oven/bun-linux-x64/bin/bun'),
    which('bun'),
  ].find((p) => p && isExec(p));
  if (bun) floors.push({ label: `bun -e 0 (${bun})`, argv: [bun, '-e', '0'], env: BASE_ENV });
  for (const rt of rts)
    if (rt.bin && isExec(rt.bin)) floors.push({ label: `${rt.label} --version`, argv: [rt.bin, '--version'], env: BASE_ENV });
  if (ROOTLESS && USER)
    floors.push({
      label: 'setpriv --reuid ... /bin/true (rootless wrapper cost)',
      argv: ['setpriv', `--reuid=${USER.uid}`, `--regid=${USER.gid}`, '--init-groups', '/bin/true'],
      env: RL_ENV,
    });
  for (let i = 0; i < N; i++) {
    for (const f of rotate(floors, i)) {
      checkInterrupted();
      const r = await runCmd(f.argv, { env: f.env });
      if (ok(r)) rec(timings, `floor: ${f.label}`, 'floor', r.ms);
      else fail(`floor: ${f.label}`, 'floor', why(f.argv, r));
    }
  }
  for (let i = 0; i < Math.min(RSS_N, 3); i++) {
    for (const f of floors) {
      const fl = path.join(tmp, 'rss');
      const r = await runCmd([TIME, '-f', '%M', '-o', fl, ...f.argv], { env: f.env });
      if (ok(r)) rec(rss, `floor: ${f.label}`, 'floor', Number.parseInt(fs.readFileSync(fl, 'utf8').trim().split('\n').at(-1), 10));
    }
  }
  return { floors: floors.map((f) => f.label), bun: bun || null };
}

// --- cleanup ----------------------------------------------------------------------------------

async function cleanup(rts) {
  const lines = [];
  for (const rt of rts) {
    if (!rt.bin || !isExec(rt.bin)) continue;
    for (const [map, rootless] of [
      [tracked, false],
      [trackedRl, true],
    ]) {
      for (const id of [...map.get(rt.label)]) {
        await forceDelete(rt, id, rootless);
        lines.push(`force-deleted ${rt.label}${rootless ? ' (rootless)' : ''} ${id}`);
      }
    }
    // Anything else the runtime still lists in its state dir.
    for (const rootless of [false, true]) {
      const dir = rootless ? rt.rlRoot : rt.root;
      if (!fs.existsSync(dir)) continue;
      const argv = rootless ? rt.rlCmd(['list', '-q']) : rt.cmd(['list', '-q']);
      const r = await rtRun(rt, argv, { env: rootless ? RL_ENV : BASE_ENV, timeout: 10000 });
      if (!ok(r)) continue;
      for (const id of r.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean)) {
        await forceDelete(rt, id, rootless);
        lines.push(`force-deleted listed ${rt.label}${rootless ? ' (rootless)' : ''} ${id}`);
      }
    }
  }
  const cg = leftoverCgroups();
  for (const p of cg) {
    try {
      fs.rmdirSync(p);
      lines.push(`removed leftover cgroup ${p}`);
    } catch (e) {
      lines.push(`WARNING: leftover cgroup ${p}: ${e.message}`);
    }
  }
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
  } catch (e) {
    lines.push(`WARNING: could not remove ${tmp}: ${e.message}`);
  }
  return lines;
}

// --- report -----------------------------------------------------------------------------------

function table(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 || i === 1 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

function report(ctx) {
  const { rts, meta } = ctx;
  const active = rts.filter((rt) => rt.ok);
  const labels = active.map((rt) => rt.label);
  const medOf = (map, row, label) => {
    const v = map.get(row)?.get(label);
    return v ? median(v) : NaN;
  };
  const out = [];
  out.push('\n## Wall time per command (ms; spawn to exit; paired, alternating order)');
  const rows = [];
  for (const row of ROW_ORDER.filter((r) => !r.startsWith('floor: '))) {
    for (const label of labels) {
      const v = timings.get(row)?.get(label) || [];
      const nf = failures.get(row)?.get(label)?.length || 0;
      if (!v.length && !nf) continue;
      const m = median(v);
      rows.push([
        row,
        label,
        fmt(m, 2),
        fmt(min(v), 2),
        fmt(max(v), 2),
        `${v.length}${nf ? ` (+${nf} failed)` : ''}`,
        labels.includes('runc') ? fmtRatio(m / medOf(timings, row, 'runc')) : '—',
        labels.includes('crun') ? fmtRatio(m / medOf(timings, row, 'crun')) : '—',
      ]);
    }
  }
  out.push(table(['row', 'runtime', 'median', 'min', 'max', 'n', '/runc', '/crun'], rows));

  if (timings.has(SC_ROW)) {
    out.push('\n## What the ~400-name seccomp profile costs `run` (ms; median with the profile - median without it, same iterations)');
    const crows = [];
    for (const label of labels) {
      const plain = medOf(timings, SC_PLAIN_ROW, label);
      for (const row of [SC_ROW, SC_COLD_ROW]) {
        const m = medOf(timings, row, label);
        if (Number.isFinite(m))
          crows.push([row === SC_ROW ? 'profile' : 'profile, compile cache emptied', label, fmt(m, 2), fmt(plain, 2), fmt(m - plain, 2)]);
      }
    }
    out.push(table(['run', 'runtime', 'with profile', 'without', 'profile cost'], crows));
  }

  out.push(`\n## ${SEQ} sequential \`run /bin/true\` (one block per runtime per round, ${SEQ_ROUNDS} rounds, rotated order)`);
  const srows = [];
  const seqMed = {};
  for (const label of labels) {
    const rs = seqRuns.get('seq')?.get(label) || [];
    if (!rs.length) continue;
    const tot = median(rs.map((r) => r.totalMs));
    seqMed[label] = tot;
    const per = rs.flatMap((r) => r.per);
    const failed = rs.reduce((a, r) => a + r.failed, 0);
    srows.push([
      `${SEQ} x run`,
      label,
      fmt(tot, 0),
      fmt(min(rs.map((r) => r.totalMs)), 0),
      fmt(max(rs.map((r) => r.totalMs)), 0),
      fmt(tot / SEQ, 2),
      fmt(median(per), 2),
      fmt((SEQ * 1000) / tot, 1),
      String(failed),
    ]);
  }
  for (const r of srows) {
    r.push(seqMed.runc ? fmtRatio(seqMed[r[1]] / seqMed.runc) : '—', seqMed.crun ? fmtRatio(seqMed[r[1]] / seqMed.crun) : '—');
  }
  out.push(
    table(
      ['row', 'runtime', 'total ms (median)', 'min', 'max', 'ms/container', 'median run ms', 'containers/s', 'failed', '/runc', '/crun'],
      srows,
    ),
  );

  out.push('\n## Peak RSS per command (MB; ru_maxrss via /usr/bin/time -f %M, separate untimed pass)');
  const rrows = [];
  for (const key of ['run', 'create', 'start', 'state', 'kill', 'delete', 'rootless run']) {
    for (const label of labels) {
      const v = rss.get(key)?.get(label);
      if (!v?.length) continue;
      const m = median(v);
      const ref = (l) => (labels.includes(l) && rss.get(key)?.get(l)?.length ? fmtRatio(m / median(rss.get(key).get(l))) : '—');
      rrows.push([key, label, fmt(m / 1024, 1), fmt(max(v) / 1024, 1), String(v.length), ref('runc'), ref('crun')]);
    }
  }
  out.push(table(['command', 'runtime', 'median MB', 'max MB', 'n', '/runc', '/crun'], rrows));

  out.push('\n## Memory of the waiting init of a created container (kB, /proc/<pid>/smaps_rollup, medians)');
  const irows = [];
  const initPriv = {};
  for (const label of labels) {
    const v = initMem.get('init')?.get(label);
    if (!v?.length) continue;
    const g = (k) => median(v.map((s) => s[k] ?? NaN));
    const priv = median(v.map((s) => (s.Private_Dirty ?? 0) + (s.Private_Clean ?? 0)));
    initPriv[label] = priv;
    irows.push([
      label,
      v[0].comm || '?',
      fmt(g('Private_Dirty'), 0),
      fmt(g('Private_Clean'), 0),
      fmt(priv, 0),
      fmt(g('Rss'), 0),
      fmt(g('Pss'), 0),
      fmt(g('Anonymous'), 0),
      String(v.length),
    ]);
  }
  for (const r of irows) {
    r.push(initPriv.runc ? fmtRatio(initPriv[r[0]] / initPriv.runc) : '—', initPriv.crun ? fmtRatio(initPriv[r[0]] / initPriv.crun) : '—');
  }
  out.push(
    table(
      [
        'runtime',
        'init comm',
        'Private_Dirty',
        'Private_Clean',
        'Private total',
        'Rss',
        'Pss',
        'Anonymous',
        'n',
        'private /runc',
        'private /crun',
      ],
      irows,
    ),
  );

  out.push('\n## Floor (same run, alternating; NODE_EXTRA_CA_CERTS unset unless the row says otherwise)');
  const frows = [];
  for (const row of ROW_ORDER.filter((r) => r.startsWith('floor: '))) {
    const v = timings.get(row)?.get('floor') || [];
    const r = rss.get(row)?.get('floor') || [];
    frows.push([
      row.slice(7),
      fmt(median(v), 2),
      fmt(min(v), 2),
      fmt(max(v), 2),
      String(v.length),
      r.length ? fmt(median(r) / 1024, 1) : '—',
    ]);
  }
  out.push(table(['command', 'median ms', 'min', 'max', 'n', 'peak RSS MB'], frows));
  if (!meta.floor?.bun)
    out.push('(no bun binary found: set BUN=/path/to/bun, or install it under node_modules/.bin, for the Bun floor row)');

  const allFail = [];
  for (const [row, m] of failures)
    for (const [label, msgs] of m) allFail.push(`- ${row} / ${label}: ${msgs.length} failed, e.g. ${msgs[0]}`);
  if (allFail.length) out.push('\n## Failures during measurement\n' + allFail.join('\n'));
  const retr = [...seqRetries].filter(([, n]) => n);
  if (retr.length)
    out.push(
      `\nsequence rows where delete found /bin/true still running and was retried (retry time included): ${retr.map(([l, n]) => `${l} ${n}`).join(', ')}`,
    );

  // Goal check for each ocirt binary measured.
  const goals = [];
  for (const rt of active.filter((r) => r.kind === 'ocirt')) {
    const chk = (name, row, ref, limit) => {
      const a = medOf(timings, row, rt.label);
      const b = medOf(timings, row, ref);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return;
      const x = a / b;
      goals.push(`- ${rt.label} ${name} vs ${ref}: ${x.toFixed(2)}x (goal <= ${limit}x) ${x <= limit ? 'MET' : 'NOT MET'}`);
    };
    for (const ref of ['runc', 'crun']) {
      const lim = ref === 'runc' ? 1.0 : 1.5;
      chk('run', 'run /bin/true', ref, lim);
      chk('create+start+state+delete', SEQ_ROW, ref, lim);
    }
    chk('engine-like run', ENGINE_RUN, 'crun', 1.0);
    chk('engine-like create+start+state+delete', ENGINE_SEQ, 'crun', 1.0);
    // issue 8: exec at most 1.0x crun
    chk('exec', EXEC_ROW, 'crun', 1.0);
    chk('exec -d', EXEC_D_ROW, 'crun', 1.0);
    chk('run with the ~400-name seccomp profile', SC_ROW, 'crun', 1.0);
    if (Number.isFinite(initPriv[rt.label]))
      goals.push(
        `- ${rt.label} waiting init private memory: ${initPriv[rt.label]} kB (goal <= 4096 kB) ${initPriv[rt.label] <= 4096 ? 'MET' : 'NOT MET'}`,
      );
  }
  if (goals.length)
    out.push(
      '\n## Goals (issues): ocirt <= 1.0x runc and <= 1.5x crun; engine-like rows <= 1.0x crun; exec <= 1.0x crun; waiting init <= 4 MB private; run with the seccomp profile <= 1.0x crun with it\n' +
        goals.join('\n'),
    );
  return out.join('\n');
}

// --- inner main -------------------------------------------------------------------------------

let USER = null;
let SERVER = null;
let NEED_COVER = false;

async function innerMain() {
  process.on('SIGINT', () => {
    interrupted = true;
  });
  process.on('SIGTERM', () => {
    interrupted = true;
  });
  const started = new Date();
  console.log('# ocirt benchmark');
  console.log(
    'NODE_EXTRA_CA_CERTS is unset for every timed command' +
      (ORIG_NEC ? ` (it was set to ${ORIG_NEC} in the calling environment; only the marked floor row sets it)` : ''),
  );
  const meta = {
    date: started.toISOString(),
    host: { kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    params: { N, SEQ, SEQ_ROUNDS, RSS_N, ROOTLESS, NETNS, PRIVATE_NS, SECCOMP },
    loadavgStart: os.loadavg(),
    notes: [],
  };
  let rts = [];
  let cleanupLines = [];
  let nsMountsBefore = null;
  let exitCode = 0;
  try {
    meta.notes.push(...setupPrivateNamespace());
    if (!isExec(TIME)) throw new Error(`${TIME} not found (apt-get install time)`);
    if (ROOTLESS) USER = ensureUser();
    RL_ENV = USER
      ? { ...BASE_ENV, XDG_RUNTIME_DIR: path.join(tmp, 'xdg'), HOME: USER.home, USER: BENCH_USER, LOGNAME: BENCH_USER }
      : BASE_ENV;
    if (USER) {
      fs.mkdirSync(path.join(tmp, 'xdg'), { mode: 0o700 });
      fs.chownSync(path.join(tmp, 'xdg'), USER.uid, USER.gid);
    }
    const rootfs = path.join(tmp, 'rootfs');
    const bb = buildRootfs(rootfs);
    const sleepArgs = ['/bin/sleep', '100000'];
    B = {
      true: writeBundle(path.join(tmp, 'bundle-true'), makeConfig({ rootfs, args: ['/bin/true'] })),
      sleep: writeBundle(path.join(tmp, 'bundle-sleep'), makeConfig({ rootfs, args: sleepArgs })),
    };
    if (USER)
      B.rlTrue = writeBundle(path.join(tmp, 'bundle-rootless-true'), makeConfig({ rootfs, args: ['/bin/true'], rootless: true, ...USER }));
    if (SECCOMP) {
      const { seccomp } = JSON.parse(fs.readFileSync(SECCOMP_PROFILE, 'utf8'));
      const withProfile = (args) => {
        const c = makeConfig({ rootfs, args });
        c.linux.seccomp = seccomp;
        return c;
      };
      B.seccomp = writeBundle(path.join(tmp, 'bundle-seccomp'), withProfile(['/bin/true']));
      B.seccompCheck = writeBundle(path.join(tmp, 'bundle-seccomp-check'), withProfile(['/bin/grep', '^Seccomp:', '/proc/self/status']));
    }
    meta.bundle = {
      rootfs: `busybox-static (${bb.busybox}) + ${bb.applets} applet symlinks`,
      config:
        'fixed: runc spec 1.1.5 defaults, terminal false, no linux.resources, no cgroupsPath; ' +
        `namespaces pid,${NETNS ? 'network,' : ''}ipc,uts,mount; args /bin/true (run, sequence) or ${sleepArgs.join(' ')} (per-command rows, init memory)`,
      rootless: USER
        ? `runc spec --rootless defaults (pid,ipc,uts,mount,user; 0 -> ${USER.uid}/${USER.gid} size 1), run as ${BENCH_USER} via setpriv, XDG_RUNTIME_DIR=$TMP/xdg`
        : 'skipped',
    };
    for (const n of meta.notes) console.log(`- ${n}`);
    console.log(`- bundle: ${meta.bundle.rootfs}; config ${meta.bundle.config}`);
    console.log(`- rootless: ${meta.bundle.rootless}`);
    console.log(
      `- N=${N} iterations per row, ${SEQ} sequential containers x ${SEQ_ROUNDS} rounds, RSS passes ${RSS_N}; ${os.cpus().length} CPUs, kernel ${os.release()}, node ${process.version}`,
    );

    rts = discoverRuntimes(USER);
    const crun = rts.find((rt) => rt.kind === 'crun' && rt.bin);
    for (const rt of rts.filter((r) => r.covered && !NEED_COVER)) rt.bin = null; // no hybrid host: nothing to cover
    if ((crun || rts.some((rt) => rt.covered)) && NEED_COVER) {
      SERVER = startServer();
      const st = await SERVER.ready;
      if (st.ready) {
        for (const rt of rts) if (rt === crun || rt.covered) rt.server = SERVER;
      } else {
        meta.notes.push(`crun helper namespace failed: ${st.error}`);
        console.log(`- crun helper namespace failed: ${st.error}`);
      }
    }
    nsMountsBefore = mountLines();
    console.log('\n## Runtimes');
    for (const rt of rts) {
      checkInterrupted();
      const reason = await warmUp(rt);
      rt.ok = !reason;
      rt.reason = reason;
      if (rt.ok && ROOTLESS && USER) {
        const rl = await warmUpRootless(rt);
        rt.rootlessOk = !rl;
        rt.rootlessReason = rl;
      }
      const where = rt.bin ? rt.bin : '(not found)';
      if (rt.ok) {
        console.log(
          `- ${rt.label}: ${where} — ${rt.version}${ROOTLESS ? (rt.rootlessOk ? '; rootless ok' : `; rootless SKIPPED: ${rt.rootlessReason}`) : ''}`,
        );
      } else {
        console.log(`- ${rt.label}: ${where} — SKIPPED, warm-up failed: ${reason}`);
      }
    }
    const active = rts.filter((rt) => rt.ok);
    if (!active.length) console.log('No runtime passed its warm-up; only the floor is measured.');

    const t = (s) => process.stderr.write(`bench: ${s}...\n`);
    t('floor');
    meta.floor = await phaseFloor(rts);
    if (active.length) {
      const phase = async (name, label, fn) => {
        if (!PHASES.has(name)) return;
        t(label);
        await fn();
      };
      await phase('run', 'run /bin/true', () => phaseRun(active));
      await phase('lifecycle', 'create/start/state/kill/delete', () => phaseLifecycle(active));
      await phase('sequence', 'create+start+state+delete sequence', () => phaseSequence(active));
      await phase('engine', 'engine-like config (cgroupsPath, memory, pids, cpu, devices)', () => phaseEngine(active));
      await phase('exec', 'exec into a running container', () => phaseExec(active));
      const rl = active.filter((rt) => rt.rootlessOk);
      if (ROOTLESS && rl.length) await phase('rootless', 'rootless run', () => phaseRootless(rl));
      if (SECCOMP) await phase('seccomp', 'run with the seccomp profile', () => phaseSeccomp(active));
      await phase('seq100', `${SEQ} sequential runs x ${SEQ_ROUNDS}`, () => phaseSeq100(active));
      await phase('rss', 'peak RSS', () => phaseRss(active));
      await phase('initmem', 'waiting init memory', () => phaseInitMem(active));
    }
    meta.loadavgEnd = os.loadavg();
    meta.elapsedS = (Date.now() - started.getTime()) / 1000;
    console.log(report({ rts, meta }));
    console.log(
      `\nload average at start ${meta.loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${meta.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}; ${meta.elapsedS.toFixed(0)} s`,
    );
  } catch (e) {
    exitCode = 1;
    console.error(`bench: ${e.message === 'interrupted' ? 'interrupted, cleaning up' : `error: ${e.stack || e}`}`);
  } finally {
    cleanupLines = await cleanup(rts);
    if (SERVER) await SERVER.close();
  }
  if (nsMountsBefore) {
    const before = new Set(nsMountsBefore);
    const leaked = mountLines().filter((l) => !before.has(l));
    if (leaked.length)
      cleanupLines.push(
        `WARNING: ${leaked.length} mount(s) appeared in the bench mount namespace during the run (a runtime leaked them; they die with the namespace):\n  ${leaked.join('\n  ')}`,
      );
    else cleanupLines.push('no runtime leaked a mount into the bench mount namespace');
  }
  console.log('\n## Clean-up (inside the bench namespace)');
  console.log(
    cleanupLines.length
      ? cleanupLines.map((l) => `- ${l}`).join('\n')
      : '- every container was deleted by the benchmark itself; no leftovers found by `list`',
  );
  console.log(`- temp dir ${fs.existsSync(tmp) ? 'STILL PRESENT' : 'removed'}`);

  // Machine-readable results.
  const toObj = (map) => Object.fromEntries([...map].map(([k, m]) => [k, Object.fromEntries(m)]));
  const json = {
    meta,
    runtimes: rts.map(({ label, kind, bin, version, ok: o, reason, rootlessOk, rootlessReason }) => ({
      label,
      kind,
      bin,
      version,
      ok: o,
      reason,
      rootlessOk,
      rootlessReason,
    })),
    timingsMs: toObj(timings),
    summary: Object.fromEntries(
      [...timings].map(([row, m]) => [
        row,
        Object.fromEntries([...m].map(([l, v]) => [l, { median: median(v), min: min(v), max: max(v), n: v.length }])),
      ]),
    ),
    sequential: { containers: SEQ, rounds: toObj(seqRuns).seq || {} },
    peakRssKb: toObj(rss),
    waitingInit: toObj(initMem).init || {},
    failures: toObj(failures),
    cleanup: cleanupLines,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify(json, null, 1));
  console.log(`- results written to ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json')) || 'bench/results/latest.json'}`);
  process.exit(exitCode);
}

if (process.env.OCIRT_BENCH_SERVER && tmp) await serverMain();
else if (process.env.OCIRT_BENCH_INNER && tmp) await innerMain();
else outerMain();
