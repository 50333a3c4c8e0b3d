// A bundle on disk: config.json plus the rootfs it names. checkBundle collects every problem so
// that `validate` and `create` can show them all at once; loadBundle is the strict form for the
// lifecycle commands.
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { OcirtError, errnoName } from '../errors.js';
import type { Spec } from './types.js';
import { JsonSyntaxError, locate, parseLocated, type Located } from './locate.js';
import { locateProblems, sortProblems, validateLocated, type Problem } from './validate.js';

export type { Problem } from './validate.js';
export { validateConfig } from './validate.js';

export interface BundleCheck {
  config?: Spec;
  configPath: string;
  rootfs?: string;
  problems: Problem[];
  /** exact values of the integers JSON.parse rounded (above 2^53), by JSON pointer; usually empty */
  exactIntegers: ReadonlyMap<string, bigint>;
  /** "config.json:LINE:COL" of the value at a JSON pointer (parses the text again on first use) */
  where(pointer: string): string;
}

/** Integers of 16 digits or more may be beyond 2^53, where JSON.parse rounds them. */
const MAYBE_BIG_INTEGER = /[0-9]{16}/;

export function checkBundle(bundleDir: string): BundleCheck {
  const configPath = join(bundleDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    const code = errnoName(err);
    const why =
      code !== 'ENOENT'
        ? (code ?? String(err))
        : checkDirectory(bundleDir) !== undefined
          ? `the bundle directory ${bundleDir} ${checkDirectory(bundleDir)}`
          : 'no such file: run `ocirt spec` to create a default one';
    return { configPath, problems: [{ pointer: '', message: `cannot read config.json: ${why}` }], exactIntegers: new Map(), where: () => configPath };
  }

  // JSON.parse is native and many times faster than the located parser, which is only needed to
  // put line:column on problems: a valid config (every create) never pays for it.
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { configPath, problems: [syntaxProblem(text)], exactIntegers: new Map(), where: () => configPath };
  }
  let located: Located | undefined;
  const getLocated = (): Located | undefined => {
    if (!located) {
      try {
        located = parseLocated(text);
      } catch {
        return undefined; // JSON.parse accepted it: positions are a bonus
      }
    }
    return located;
  };

  let problems = validateLocated(value);
  const loc = problems.length > 0 ? getLocated() : undefined;
  if (loc) problems = locateProblems(problems, loc);
  // Only a document without schema or semantic problems may be typed as Spec.
  const configOk = problems.length === 0;
  const doc = value as Partial<Spec>;
  let rootfs: string | undefined;
  const rootPath = typeof doc.root?.path === 'string' ? doc.root.path : undefined;
  if (rootPath !== undefined && rootPath !== '') {
    rootfs = resolve(bundleDir, rootPath);
    const at = (pointer: string, message: string): void => {
      const loc = getLocated();
      const pos = loc ? locate(loc, pointer) : undefined;
      problems.push({ pointer, line: pos?.line, column: pos?.column, message });
    };
    const rootfsProblem = checkDirectory(rootfs);
    if (rootfsProblem) at('/root/path', `root filesystem ${rootfs} ${rootfsProblem}: expected a directory holding the container's files (unpack an image into it)`);
    else {
      const args = doc.process?.args;
      const prog = Array.isArray(args) && typeof args[0] === 'string' ? args[0] : undefined;
      if (prog !== undefined && isAbsolute(prog)) {
        const progProblem = checkExecutableInRoot(rootfs, prog);
        if (progProblem) at('/process/args/0', `${JSON.stringify(prog)} ${progProblem}`);
      }
    }
  }
  const where = (pointer: string): string => {
    const loc = getLocated();
    const pos = loc ? locate(loc, pointer) : undefined;
    return pos ? `${configPath}:${pos.line}:${pos.column}` : configPath;
  };
  const exactIntegers = MAYBE_BIG_INTEGER.test(text) ? (getLocated()?.bigIntegers ?? new Map<string, bigint>()) : new Map<string, bigint>();
  return { config: configOk ? (value as Spec) : undefined, configPath, rootfs, problems: sortProblems(problems), exactIntegers, where };
}

/** The located parser's message and position for text that JSON.parse rejected. */
function syntaxProblem(text: string): Problem {
  try {
    parseLocated(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { pointer: '', line: err.line, column: err.column, message: `invalid JSON: ${err.message}` };
    throw err;
  }
  // Both parsers must agree on what is JSON; say so rather than invent a position.
  return { pointer: '', message: 'invalid JSON' };
}

export interface LoadedBundle {
  config: Spec;
  configPath: string;
  rootfs: string;
  exactIntegers: ReadonlyMap<string, bigint>;
  where(pointer: string): string;
}

export function loadBundle(bundleDir: string): LoadedBundle {
  const r = checkBundle(bundleDir);
  if (r.problems.length > 0 || !r.config || !r.rootfs) {
    throw new OcirtError(`invalid bundle ${bundleDir}:\n${formatProblems(r.configPath, r.problems)}`);
  }
  return { config: r.config, configPath: r.configPath, rootfs: r.rootfs, exactIntegers: r.exactIntegers, where: r.where };
}

/** One line per problem: `file:line:col: /pointer: message`. */
export function formatProblems(configPath: string, problems: Problem[]): string {
  return problems
    .map((p) => {
      const where = p.line !== undefined ? `${configPath}:${p.line}:${p.column ?? 1}` : configPath;
      return `${where}: ${p.pointer === '' ? '(root)' : p.pointer}: ${p.message}`;
    })
    .join('\n');
}

function checkDirectory(path: string): string | undefined {
  try {
    if (!statSync(path).isDirectory()) return 'is not a directory';
    return undefined;
  } catch (err) {
    const code = errnoName(err);
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
  }
}

const MAX_SYMLINKS = 40;

/**
 * Resolve `path` as the container will see it: symlinks are followed, but absolute targets and
 * ".." stay inside the rootfs (as after pivot_root), so a link to /bin/busybox finds the rootfs's
 * busybox, never the host's.
 */
export function resolveInRoot(rootfs: string, path: string): { host: string } | { error: string } {
  const pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift() as string;
    if (comp === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(rootfs, ...resolved, comp);
    let st;
    try {
      st = lstatSync(candidate);
    } catch (err) {
      const code = errnoName(err);
      return { error: code === 'ENOENT' ? `does not exist in the rootfs (no /${[...resolved, comp].join('/')})` : `cannot be resolved in the rootfs (${code ?? String(err)})` };
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return { error: 'cannot be resolved in the rootfs: too many levels of symbolic links' };
      const target = readlinkSync(candidate);
      const parts = target.split('/').filter((c) => c !== '' && c !== '.');
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...parts);
      continue;
    }
    if (pending.length > 0 && !st.isDirectory()) return { error: `cannot be resolved in the rootfs: /${[...resolved, comp].join('/')} is not a directory` };
    resolved.push(comp);
  }
  return { host: join(rootfs, ...resolved) };
}

function checkExecutableInRoot(rootfs: string, prog: string): string | undefined {
  const r = resolveInRoot(rootfs, prog);
  if ('error' in r) return `${r.error}: expected the program to run inside the rootfs`;
  const st = statSync(r.host);
  if (!st.isFile()) return 'is not a regular file in the rootfs: expected an executable program';
  if ((st.mode & 0o111) === 0) return 'is not executable in the rootfs: chmod +x it';
  return undefined;
}
