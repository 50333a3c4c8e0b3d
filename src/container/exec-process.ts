// The process `exec` runs, as runc decides it: -p FILE is a runtime-spec process JSON used as it
// is, checked by the same schema and semantic checks as config.json's process; otherwise the
// container's own process (from the config recorded at create, valid already) with the command's
// ARGS, the flags' overrides and additions, and no terminal unless -t, each flag checked itself.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArgumentError, BundleError, OcirtError, sysError } from '../errors.js';
import { CAPABILITIES } from '../linux/constants.js';
import type { Process, Spec } from '../spec/types.js';

export interface ExecFlags {
  /** the command and its arguments (everything after the container id) */
  args: string[];
  cwd?: string;
  env: string[];
  tty: boolean;
  /** UID[:GID], numeric */
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs: boolean;
  apparmor?: string;
  processLabel?: string;
}

/** -p FILE, ARGS and flags, or (the API) a runtime-spec process object */
export type ExecProcessSource = { file: string } | { flags: ExecFlags } | { value: unknown };

/** ARGS and no flag: the config's process with another command. */
export function argsOnly(args: string[]): ExecFlags {
  return { args, env: [], tty: false, additionalGids: [], caps: [], noNewPrivs: false };
}

/** The container's config with the exec'd process in place of its own. */
export async function execConfig(config: Spec, source: ExecProcessSource): Promise<Spec> {
  if ('file' in source) return withProcessFile(config, resolve(source.file));
  if ('value' in source) return withProcessValue(config, source.value, 'process', undefined);
  return withFlags(config, source.flags);
}

/** The config's process, changed by ARGS and the flags (runc's getProcess). */
export function withFlags(config: Spec, f: ExecFlags): Spec {
  return { ...config, process: processFromFlags(config.process, f) };
}

export function processFromFlags(base: Process | undefined, f: ExecFlags): Process {
  if (f.args.length === 0)
    throw new ArgumentError('exec: no command given: ocirt exec [flags] <container-id> <command> [args...], or -p process.json');
  if (f.args[0] === '') throw new ArgumentError('exec: the command is empty: expected the program to run');
  const p: Process = structuredClone(base ?? { cwd: '/', user: { uid: 0, gid: 0 } });
  p.args = [...f.args];
  if (f.cwd) {
    if (!f.cwd.startsWith('/')) throw new ArgumentError(`--cwd ${JSON.stringify(f.cwd)}: expected an absolute path in the container`);
    p.cwd = f.cwd;
  }
  if (f.apparmor) p.apparmorProfile = f.apparmor;
  if (f.processLabel) p.selinuxLabel = f.processLabel;
  if (f.caps.length) {
    const caps = (p.capabilities ??= {});
    for (const c of f.caps) {
      if (!(CAPABILITIES as readonly string[]).includes(c)) {
        throw new ArgumentError(
          `--cap ${JSON.stringify(c)}: unknown capability "${c}": expected a name such as CAP_NET_ADMIN (see capabilities(7))`,
        );
      }
      (caps.bounding ??= []).push(c);
      (caps.effective ??= []).push(c);
      (caps.permitted ??= []).push(c);
      // an ambient capability needs an inheritable one: only where the process has inheritable caps
      if (caps.inheritable !== undefined) (caps.ambient ??= []).push(c);
    }
  }
  for (const e of f.env) {
    if (!/^[^=]+=/.test(e)) throw new ArgumentError(`--env ${JSON.stringify(e)}: expected NAME=VALUE`);
  }
  p.env = [...(p.env ?? []), ...f.env];
  p.terminal = f.tty;
  if (f.noNewPrivs) p.noNewPrivileges = true;
  const user = (p.user ??= { uid: 0, gid: 0 });
  if (f.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(f.user);
    if (!m || Number(m[1]) > 0xffffffff || Number(m[2] ?? 0) > 0xffffffff) {
      throw new ArgumentError(`--user ${JSON.stringify(f.user)}: expected UID[:GID], numbers (names are not looked up)`);
    }
    user.uid = Number(m[1]);
    if (m[2] !== undefined) user.gid = Number(m[2]);
  }
  for (const g of f.additionalGids) {
    if (!/^\d+$/.test(g) || Number(g) > 0xffffffff)
      throw new ArgumentError(`--additional-gids ${JSON.stringify(g)}: expected a group id (a non-negative number)`);
    (user.additionalGids ??= []).push(Number(g));
  }
  return p;
}

/** -p: the file's process, checked like config.json's (the checks are loaded only here). */
async function withProcessFile(config: Spec, file: string): Promise<Spec> {
  const { JsonSyntaxError, parseLocated } = await import('../spec/locate.js');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw sysError('exec: read the process file', file, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      parseLocated(text);
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw new OcirtError(`${file}:${err.line}:${err.column}: invalid JSON: ${err.message}`);
    }
    throw new OcirtError(`${file}: invalid JSON`);
  }
  return withProcessValue(config, value, file, text);
}

/** The process checked like config.json's; problems located in `text` when the value came from one. */
async function withProcessValue(config: Spec, value: unknown, file: string, text: string | undefined): Promise<Spec> {
  const { parseLocated } = await import('../spec/locate.js');
  const { locateProblems, validateLocated } = await import('../spec/validate.js');
  const full = { ...config, process: value } as Spec;
  let problems = validateLocated(full).filter((p) => p.pointer.startsWith('/process'));
  if (problems.length === 0) return full;
  // the file's own line:column, and its own pointers (its root is /process of the config)
  const relative = problems.map((p) => ({ ...p, pointer: p.pointer.slice('/process'.length) }));
  try {
    problems = text === undefined ? relative : locateProblems(relative, parseLocated(text));
  } catch {
    problems = relative;
  }
  const where = (p: { pointer: string; line?: number; column?: number }) =>
    `${file}${p.line !== undefined ? `:${p.line}:${p.column}` : ''}: ${p.pointer || '/'}`;
  throw new BundleError(`exec: invalid process: ${problems.map((p) => `${where(p)}: ${p.message}`).join('; ')}`, file, problems);
}
