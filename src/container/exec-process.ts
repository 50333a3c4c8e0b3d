// The process `exec` runs, as runc decides it: -p FILE is a runtime-spec process JSON used as it
// is; otherwise the container's own process (from the config recorded at create) with the
// command's ARGS, the flags' overrides and additions, and no terminal unless -t. Either way the
// result is checked by the same schema and semantic checks as config.json's process.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OcirtError, sysError } from '../errors.js';
import { JsonSyntaxError, parseLocated } from '../spec/locate.js';
import { locateProblems, validateLocated } from '../spec/validate.js';
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

export type ExecProcessSource = { file: string } | { flags: ExecFlags };

/** The container's config with the exec'd process in place of its own, validated. */
export function execConfig(config: Spec, source: ExecProcessSource): Spec {
  if ('file' in source) return withProcessFile(config, resolve(source.file));
  const proc = processFromFlags(config.process, source.flags);
  const full: Spec = { ...config, process: proc };
  const problems = validateLocated(full).filter((p) => p.pointer.startsWith('/process'));
  if (problems.length) {
    throw new OcirtError(`exec: the process (config.json's with the command and flags): ${problems.map((p) => `${p.pointer}: ${p.message}`).join('; ')}`);
  }
  return full;
}

/** runc's getProcess for ARGS and flags. */
export function processFromFlags(base: Process | undefined, f: ExecFlags): Process {
  if (f.args.length === 0) throw new OcirtError('exec: no command given: ocirt exec [flags] <container-id> <command> [args...], or -p process.json');
  const p: Process = structuredClone(base ?? { cwd: '/', user: { uid: 0, gid: 0 } });
  p.args = [...f.args];
  if (f.cwd) p.cwd = f.cwd;
  if (f.apparmor) p.apparmorProfile = f.apparmor;
  if (f.processLabel) p.selinuxLabel = f.processLabel;
  if (f.caps.length) {
    const caps = (p.capabilities ??= {});
    for (const c of f.caps) {
      (caps.bounding ??= []).push(c);
      (caps.effective ??= []).push(c);
      (caps.permitted ??= []).push(c);
      // an ambient capability needs an inheritable one: only where the process has inheritable caps
      if (caps.inheritable !== undefined) (caps.ambient ??= []).push(c);
    }
  }
  p.env = [...(p.env ?? []), ...f.env];
  p.terminal = f.tty;
  if (f.noNewPrivs) p.noNewPrivileges = true;
  const user = (p.user ??= { uid: 0, gid: 0 });
  if (f.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(f.user);
    if (!m) throw new OcirtError(`--user ${JSON.stringify(f.user)}: expected UID[:GID], numbers (names are not looked up)`);
    user.uid = Number(m[1]);
    if (m[2] !== undefined) user.gid = Number(m[2]);
  }
  for (const g of f.additionalGids) {
    if (!/^\d+$/.test(g)) throw new OcirtError(`--additional-gids ${JSON.stringify(g)}: expected a group id (a non-negative number)`);
    (user.additionalGids ??= []).push(Number(g));
  }
  return p;
}

function withProcessFile(config: Spec, file: string): Spec {
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
  const full = { ...config, process: value } as Spec;
  let problems = validateLocated(full).filter((p) => p.pointer.startsWith('/process'));
  if (problems.length === 0) return full;
  // the file's own line:column, and its own pointers (its root is /process of the config)
  const relative = problems.map((p) => ({ ...p, pointer: p.pointer.slice('/process'.length) }));
  try {
    problems = locateProblems(relative, parseLocated(text));
  } catch {
    problems = relative;
  }
  const where = (p: { pointer: string; line?: number; column?: number }) =>
    `${file}${p.line !== undefined ? `:${p.line}:${p.column}` : ''}: ${p.pointer || '/'}`;
  throw new OcirtError(`exec: invalid process: ${problems.map((p) => `${where(p)}: ${p.message}`).join('; ')}`);
}
