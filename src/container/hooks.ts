// OCI hooks that run in the runtime's namespaces: prestart and createRuntime (during create, while
// the init waits after its mounts), poststart (at the end of start) and poststop (after delete).
// createContainer and startContainer run inside the container; the init stub carries them out
// (native/init/hooks.c, planned by src/linux/hooks.ts).
//
// Each hook gets the container's state JSON on stdin, its own args and env (nothing inherited), the
// bundle as its working directory, and is SIGKILLed when it outlives its timeout. Its stdin and
// its output (stdout and stderr) are unnamed files rather than pipes: a hook that never reads its
// stdin cannot fail the write, a daemon it leaves behind cannot hold the runtime up. The output
// reaches the log: in the error when the hook fails, as an info line when it succeeds.
//
// runtime-spec v1.3.0 (runtime.md "Lifecycle"): a failing prestart, createRuntime, createContainer,
// startContainer or poststart hook is an error that stops the container and destroys it, then
// the poststop hooks run; a failing poststop hook is only a warning.
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { OcirtError, errnoName } from '../errors.js';
import { SILENT, type Logger } from '../logger.js';
import type { Hook, Hooks } from '../spec/types.js';
import type { RuntimeState } from './runtime-state.js';

export type HookKind = keyof Hooks;

/** How much of a failed hook's output goes into the one-line error. */
const OUTPUT_IN_ERROR = 600;

export interface HookRun {
  /** a directory ocirt may create files in (the state root): the hook's stdin and output, unlinked at once */
  scratchDir: string;
  log?: Logger;
}

/**
 * Runs the hooks of one kind in order and stops at the first failure, which it throws as a
 * one-line OcirtError naming the config field, the program and why (exit status, signal, timeout,
 * exec errno) with the tail of its output.
 */
export function runHooks(kind: HookKind, hooks: Hook[] | undefined, state: RuntimeState, run: HookRun): void {
  (hooks ?? []).forEach((hook, i) => {
    const failure = runOne(kind, hook, i, state, run);
    if (failure) throw new OcirtError(failure);
  });
}

/** poststop: every hook runs; a failure is a warning on the log (runtime-spec: "log a warning"). */
export function runHooksWarning(kind: HookKind, hooks: Hook[] | undefined, state: RuntimeState, run: HookRun): void {
  (hooks ?? []).forEach((hook, i) => {
    const failure = runOne(kind, hook, i, state, run);
    if (failure) (run.log ?? SILENT).warn(failure);
  });
}

/** The failure message, or undefined when the hook succeeded. */
function runOne(kind: HookKind, hook: Hook, index: number, state: RuntimeState, run: HookRun): string | undefined {
  const log = run.log ?? SILENT;
  const what = `config.json /hooks/${kind}/${index}: ${kind} hook ${hook.path}`;
  const fds: number[] = [];
  try {
    let stdin: number;
    let out: number;
    try {
      const stateFile = unnamedFile(run.scratchDir, `${kind}-${index}-state`);
      fds.push(stateFile);
      writeSync(stateFile, JSON.stringify(state));
      // a second open of the same file reads it from the start
      stdin = openSync(`/proc/self/fd/${stateFile}`, 'r');
      fds.push(stdin);
      out = unnamedFile(run.scratchDir, `${kind}-${index}-output`);
      fds.push(out);
    } catch (err) {
      return `${what}: cannot create its stdin and output files in ${run.scratchDir}: ${errnoName(err) ?? String(err)}`;
    }
    log.debug(`running ${kind} hook ${index}: ${hook.path}${hook.timeout ? ` (timeout ${hook.timeout}s)` : ''}`);
    const args = hook.args ?? [];
    const r = spawnSync(hook.path, args.slice(1), {
      argv0: args[0] ?? hook.path,
      env: envObject(hook.env ?? []),
      cwd: existsSync(state.bundle) ? state.bundle : '/',
      stdio: [stdin, out, out],
      ...(hook.timeout ? { timeout: hook.timeout * 1000, killSignal: 'SIGKILL' as const } : {}),
    });
    const output = readOutput(out);
    if (r.error && errnoName(r.error) === 'ETIMEDOUT') {
      return `${what}: timed out after ${hook.timeout}s and was killed${tail(output)}`;
    }
    if (r.error) return `${what}: cannot run it: ${errnoName(r.error) ?? r.error.message}`;
    if (r.signal) return `${what}: killed by ${r.signal}${tail(output)}`;
    if (r.status !== 0) return `${what}: exited with status ${r.status}${tail(output)}`;
    if (output.trim()) log.info(`${kind} hook ${hook.path}: ${output.trim()}`);
    return undefined;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** A file only this process holds (created, then unlinked at once). */
function unnamedFile(dir: string, what: string): number {
  const path = join(dir, `.hook-${process.pid}-${what}`);
  const fd = openSync(path, 'wx', 0o600);
  unlinkSync(path);
  return fd;
}

/** runtime-spec env entries are NAME=VALUE (semantic.ts checks it); a later entry wins, as in execve's environ. */
function envObject(env: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

function readOutput(fd: number): string {
  try {
    // a fresh open of the same file reads it from the start
    return readFileSync(`/proc/self/fd/${fd}`, 'utf8');
  } catch {
    return '';
  }
}

/** The end of a failed hook's output, on the error's one line. */
function tail(output: string): string {
  const text = output.trim().replace(/\s*\n\s*/g, ' | ');
  if (!text) return '';
  return `: ${text.length > OUTPUT_IN_ERROR ? '...' + text.slice(-OUTPUT_IN_ERROR) : text}`;
}
