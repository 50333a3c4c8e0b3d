// A bundle on disk: config.json plus the rootfs it names. checkBundle collects every problem so
// that `validate` and `create` can show them all at once; loadBundle is the strict form for the
// lifecycle commands.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BundleError, errnoName } from '../errors.js';
import type { Spec } from './types.js';
import { JsonSyntaxError, locate, parseLocated, type Located } from './locate.js';
import { hasErrors, locateProblems, sortProblems, validateLocated, type Problem } from './validate.js';

export type { Problem } from './validate.js';
export { hasErrors } from './validate.js';
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
    return {
      configPath,
      problems: [{ pointer: '', message: `cannot read config.json: ${why}` }],
      exactIntegers: new Map(),
      where: () => configPath,
    };
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

  const r = checkParsed(value, bundleDir, configPath, getLocated);
  const exactIntegers = MAYBE_BIG_INTEGER.test(text) ? (getLocated()?.bigIntegers ?? new Map<string, bigint>()) : new Map<string, bigint>();
  return { ...r, exactIntegers };
}

/**
 * A config given as a value (the API's create and validate with `{ config, rootfs }`): the same
 * checks as config.json's, the rootfs given apart (root.path becomes it, absolute). Problems have
 * no line:column, and `configPath` only names what the messages call the config.
 */
export function checkConfigValue(config: unknown, rootfs: string, configPath = 'config'): BundleCheck {
  const abs = resolve(rootfs);
  const value =
    typeof config === 'object' && config !== null && !Array.isArray(config)
      ? { ...config, root: { ...((config as { root?: object }).root ?? {}), path: abs } }
      : config;
  return { ...checkParsed(value, dirname(abs), configPath, () => undefined), exactIntegers: new Map() };
}

function checkParsed(
  value: unknown,
  bundleDir: string,
  configPath: string,
  getLocated: () => Located | undefined,
): Omit<BundleCheck, 'exactIntegers'> {
  let problems = validateLocated(value);
  const loc = problems.length > 0 ? getLocated() : undefined;
  if (loc) problems = locateProblems(problems, loc);
  // Only a document without schema or semantic errors may be typed as Spec (warnings are allowed).
  const configOk = !hasErrors(problems);
  // a document that is not an object (null, a number...) has its problem already: no root to look at
  const doc = (value !== null && typeof value === 'object' ? value : {}) as Partial<Spec>;
  let rootfs: string | undefined;
  const rootPath = typeof doc.root?.path === 'string' ? doc.root.path : undefined;
  if (rootPath !== undefined && rootPath !== '') {
    rootfs = resolve(bundleDir, rootPath);
    const at = (pointer: string, message: string): void => {
      const loc = getLocated();
      const pos = loc ? locate(loc, pointer) : undefined;
      problems.push({ pointer, line: pos?.line, column: pos?.column, message });
    };
    // process.args[0] is not looked for here: a mount may bring it (podman --init binds
    // /run/podman-init); the init looks it up after the mounts and reports ENOENT/EACCES
    const rootfsProblem = checkDirectory(rootfs);
    if (rootfsProblem)
      at(
        '/root/path',
        `root filesystem ${rootfs} ${rootfsProblem}: expected a directory holding the container's files (unpack an image into it)`,
      );
  }
  const where = (pointer: string): string => {
    const loc = getLocated();
    const pos = loc ? locate(loc, pointer) : undefined;
    return pos ? `${configPath}:${pos.line}:${pos.column}` : configPath;
  };
  return { config: configOk ? (value as Spec) : undefined, configPath, rootfs, problems: sortProblems(problems), where };
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
  /** what the user should know (unknown keys, tolerated values): one located line each */
  warnings: string[];
}

/** A valid bundle (warnings allowed). */
export function loadBundle(bundleDir: string): LoadedBundle {
  return loaded(checkBundle(bundleDir), `bundle ${bundleDir}`);
}

/** loadBundle for a config given as a value (checkConfigValue). */
export function loadConfigValue(config: unknown, rootfs: string): LoadedBundle {
  return loaded(checkConfigValue(config, rootfs), 'config');
}

function loaded(r: BundleCheck, what: string): LoadedBundle {
  if (hasErrors(r.problems) || !r.config || !r.rootfs) {
    // The first line says what and why: engines show the runtime's last error line to their user.
    const [first, ...rest] = formatProblems(
      r.configPath,
      r.problems.filter((p) => !p.warning),
    ).split('\n');
    const more = rest.length ? `\n${rest.join('\n')}` : '';
    throw new BundleError(
      `invalid ${what}: ${first}${more}`,
      r.configPath,
      r.problems.filter((p) => !p.warning),
    );
  }
  // they go to the log as warnings: no "warning: " of their own
  const warnings = r.problems.map((p) => formatProblems(r.configPath, [{ ...p, warning: false }]));
  return { config: r.config, configPath: r.configPath, rootfs: r.rootfs, exactIntegers: r.exactIntegers, where: r.where, warnings };
}

/** One line per problem: `file:line:col: /pointer: [warning: ]message`. */
export function formatProblems(configPath: string, problems: Problem[]): string {
  return problems
    .map((p) => {
      const where = p.line !== undefined ? `${configPath}:${p.line}:${p.column ?? 1}` : configPath;
      return `${where}: ${p.pointer === '' ? '(root)' : p.pointer}: ${p.warning ? 'warning: ' : ''}${p.message}`;
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
