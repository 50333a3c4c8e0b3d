// Shared by the security regression suite (test/security/): bundles carrying the attack program,
// ocirt run with extra file descriptors, and what "the host is untouched" is checked against.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IS_ROOT, OCIRT, PROBE, REPO, makeBundle, type Bundle, type Config, type Runner, type User } from './containers.ts';

export const ATTACK = join(REPO, 'build', 'Release', 'ocirt-attack');

export const SKIP = !IS_ROOT
  ? 'the security suite needs root (CI runs it as root)'
  : !existsSync(PROBE) || !existsSync(ATTACK)
    ? 'probe or attack program not built (npm run build:native)'
    : false;

/** A bundle whose rootfs also has /bin/attack (test/fixtures/attack.c). */
export function attackBundle(mutate?: (c: Config) => void, owner?: User, parent?: string): Bundle {
  const b = makeBundle(mutate, owner, parent);
  copyFileSync(ATTACK, join(b.rootfs, 'bin', 'attack'));
  chmodSync(join(b.rootfs, 'bin', 'attack'), 0o755);
  return b;
}

export interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * ocirt with `extraFds` open in it as fds 3, 4, ... (without close-on-exec: what a careless caller
 * leaks, or what --preserve-fds passes on), stdout and stderr into files.
 */
export function runWithFds(r: Runner, args: string[], extraFds: number[], timeoutMs = 60_000): Promise<Outcome> {
  const { argv, env } = r.command(args);
  const outFile = join(r.root, `.out-fds-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const out = openSync(outFile, 'w');
  const err = openSync(`${outFile}.err`, 'w');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', out, err, ...extraFds], env });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      closeSync(out);
      closeSync(err);
      const res = { status, signal, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(`${outFile}.err`, 'utf8') };
      rmSync(outFile, { force: true });
      rmSync(`${outFile}.err`, { force: true });
      resolve(res);
    });
  });
}

/** One line `ocirt: ...` (and any warnings before it), no stack trace: what every failure must look like. */
export function assertCleanFailure(o: { status: number | null; stderr: string }, what: string): void {
  if (o.status === 0) throw new Error(`${what}: expected a failure, got exit status 0`);
  const lines = o.stderr.split('\n').filter(Boolean);
  const errors = lines.filter((l) => !l.startsWith('ocirt: warning: '));
  if (errors.length !== 1 || !errors[0].startsWith('ocirt: '))
    throw new Error(`${what}: expected one 'ocirt: ' error line, got:\n${o.stderr}`);
  if (/^\s+at /m.test(o.stderr)) throw new Error(`${what}: stack trace:\n${o.stderr}`);
}

/** Mode, owner and device numbers of a host path (lstat). */
export function nodeIdentity(path: string): string {
  const r = spawnSync('stat', ['-c', '%f %u %g %t:%T %i', path], { encoding: 'utf8' });
  return r.stdout.trim();
}

/** Whether `ocirt exec` is implemented in the build under test (branch `exec`). */
export function execImplemented(r: Runner): boolean {
  const x = r.run(['exec', 'no-such-container', 'true']);
  return !/not implemented yet/.test(x.stderr);
}

export { OCIRT };
