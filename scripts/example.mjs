// `npm run example`: build a small bundle (busybox-static + the probe) and run it with ocirt.
// As root it runs a root container; as any other user, a rootless one (`ocirt spec --rootless`).
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const ocirt = join(repo, 'bin', 'ocirt');
const rootless = process.geteuid() !== 0;
const dir =
  writable(join(repo, 'build')) && !rootless ? join(repo, 'build', 'example') : join(tmpdir(), `ocirt-example-${process.geteuid()}`);

rmSync(dir, { recursive: true, force: true });
const rootfs = join(dir, 'rootfs');
for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');

const probe = join(repo, 'build', 'Release', 'ocirt-probe');
if (existsSync(probe)) copyFileSync(probe, join(rootfs, 'bin', 'probe'));
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
if (busybox) {
  copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'hostname', 'id', 'ls', 'true', 'sleep', 'ps']) {
    symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
}
if (!busybox && !existsSync(probe))
  fail('neither busybox (apt-get install busybox-static) nor build/Release/ocirt-probe (npm ci) is available');

const spec = spawnSync(ocirt, ['spec', '-b', dir, ...(rootless ? ['--rootless'] : [])], { stdio: 'inherit' });
if (spec.status !== 0) fail('ocirt spec failed');
const configPath = join(dir, 'config.json');
const config = JSON.parse(readFileSync(configPath, 'utf8'));
config.process.terminal = false;
config.hostname = 'ocirt-example';
config.process.args = busybox
  ? ['/bin/sh', '-c', 'echo "hello from $(hostname): pid $$, uid $(id -u), root filesystem:"; ls /; exit 3']
  : ['/bin/probe'];
writeFileSync(configPath, JSON.stringify(config, null, 2));

const root = rootless && !process.env.XDG_RUNTIME_DIR ? ['--root', join(tmpdir(), `ocirt-${process.geteuid()}`)] : [];
console.error(`$ ocirt ${root.join(' ')} run -b ${dir} example-${process.pid}${rootless ? '   (rootless)' : ''}`);
const run = spawnSync(ocirt, [...root, 'run', '-b', dir, `example-${process.pid}`], { stdio: 'inherit' });
console.error(`container exited with status ${run.status}`);
// The example's shell exits 3 on purpose: show that ocirt passes the container's status through.
process.exit(run.status === 3 || (!busybox && run.status === 0) ? 0 : (run.status ?? 1));

function writable(p) {
  try {
    mkdirSync(p, { recursive: true });
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(msg) {
  console.error(`example: ${msg}`);
  process.exit(1);
}
