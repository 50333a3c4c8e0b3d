// The fast path of the CLI: a small parser for the runc-shaped invocations engines make on every
// lifecycle step (create, start, run, state, kill, delete, list), so that they never load yargs.
// It builds exactly the object yargs would (flags under their long name, camelCase name and
// alias, defaults filled in, positionals by name, `_`), and gives up (returns undefined) on
// anything it does not fully understand: --help, --version, unknown or repeated flags, short-flag
// groups, a boolean followed by "true"/"false", a missing or extra positional... Then
// main.ts hands the argv to yargs, which prints the error or the help text.
// test/unit/cli-fastpath.test.ts checks that both parsers agree.
import { COMMANDS, type CommandSpec, type FlagSpec } from './commands.js';

/**
 * The commands the fast parser handles; the rest (help, spec, exec...) go to yargs. `spec` stays
 * with yargs: its boolean --rootless shares the global flag's name.
 */
const FAST_COMMANDS = new Set(['create', 'start', 'run', 'state', 'kill', 'delete', 'list', 'validate', 'exec']);

type GlobalType = 'string' | 'boolean' | 'untyped';
interface GlobalSpec {
  type: GlobalType;
  default?: unknown;
  choices?: string[];
}

/** The global options as main.ts's yargs configuration declares them (yargs-cli.ts). */
export const GLOBAL_OPTIONS: Record<string, GlobalSpec> = {
  root: { type: 'string' },
  log: { type: 'string' },
  'log-format': { type: 'string', choices: ['text', 'json'], default: 'text' },
  debug: { type: 'boolean', default: false },
  'systemd-cgroup': { type: 'boolean', default: false },
  // untyped: `spec --rootless` is that command's boolean, the global takes auto|true|false
  rootless: { type: 'untyped' },
};

export interface ParsedCommand {
  spec: CommandSpec;
  /** what yargs hands a command's handler, without `$0` */
  args: Record<string, unknown> & { _: (string | number)[] };
}

/** yargs-parser's camelCase for the kebab-case names used here. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** yargs-parser's number coercion of untyped values and positionals. */
function looksLikeNumber(x: string): boolean {
  if (/^0x[0-9a-f]+$/i.test(x)) return true;
  if (/^0[^.]/.test(x)) return false;
  return /^[-]?(?:\d+(?:\.\d*)?|\.\d+)(e[-+]?\d+)?$/.test(x);
}

function coerce(x: string): string | number {
  return looksLikeNumber(x) && Number.isSafeInteger(Math.floor(parseFloat(x))) ? Number(x) : x;
}

interface Positional {
  name: string;
  required: boolean;
  /** [name..]: what splitCommand took off argv (exec's command); yargs leaves it [] */
  variadic: boolean;
}

function positionalsOf(spec: CommandSpec): Positional[] | undefined {
  const out: Positional[] = [];
  for (const tok of spec.positionals.split(' ').filter(Boolean)) {
    const m = /^([<[])([a-z][a-z0-9-]*)(\.\.)?[>\]]$/.exec(tok);
    if (!m) return undefined;
    out.push({ name: m[2], required: m[1] === '<', variadic: m[3] !== undefined });
  }
  return out;
}

/**
 * exec's command (and ps's options for ps(1)) is everything after the container id, verbatim: as
 * in runc, flags after the id are the command's own. It is split off before either parser sees
 * argv: yargs would take the command's flags as exec's and turn its numbers into other numbers
 * ("0x10" into 16). `name` is the command's variadic positional that receives the words.
 */
export function splitCommand(argv: readonly string[]): { argv: string[]; command?: string[]; name?: string } {
  let spec: CommandSpec | undefined;
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') break; // `exec -- id ...`: unusual, yargs says what it makes of it
    if (tok.length > 1 && tok[0] === '-') {
      if (takesValue(tok, spec)) i++;
      continue;
    }
    if (!spec) {
      spec = byName.get(tok);
      name = spec && /^<container-id> \[([a-z-]+)\.\.\]$/.exec(spec.positionals)?.[1];
      if (!name) break;
      continue;
    }
    const rest = argv.slice(i + 1);
    return { argv: argv.slice(0, i + 1), command: rest[0] === '--' ? rest.slice(1) : rest, name };
  }
  return { argv: [...argv] };
}

/** Whether flag token `tok` consumes the next word as its value (as yargs reads it). */
function takesValue(tok: string, spec: CommandSpec | undefined): boolean {
  if (tok.startsWith('--')) {
    if (tok.includes('=')) return false;
    const name = tok.slice(2);
    const global = GLOBAL_OPTIONS[name];
    if (global) return global.type !== 'boolean';
    const own = spec?.flags[name];
    return own !== undefined && own.type !== 'boolean';
  }
  if (tok.includes('=')) return false;
  // -x, or a group -xyz whose last letter may take the next word
  const own = spec && Object.values(spec.flags).find((f) => f.alias === tok[tok.length - 1]);
  return own !== undefined && own.type !== 'boolean';
}

const byName = new Map(COMMANDS.map((c) => [c.name, c]));

/** Parses argv (without node and script) or returns undefined to let yargs do it. */
export function fastParse(argv: readonly string[]): ParsedCommand | undefined {
  let spec: CommandSpec | undefined;
  const given = new Map<string, unknown>(); // long flag name -> value (globals and own)
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      // runc's (urfave/cli's) end of flags: `create -b . -- ID`; what follows are positionals.
      // yargs fills no positional from there: yargs-cli.ts drops such a `--` when nothing after
      // it looks like a flag, and so does this parser; "-x" after it is left to yargs to report.
      if (!spec || argv.slice(i + 1).some((a) => a.startsWith('-'))) return undefined;
      continue;
    }
    if (tok.length > 1 && tok[0] === '-') {
      let name: string;
      let inline: string | undefined;
      if (tok[1] === '-') {
        const eq = tok.indexOf('=');
        name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
        inline = eq < 0 ? undefined : tok.slice(eq + 1);
        if (!/^[a-z][a-z0-9-]*$/.test(name)) return undefined;
      } else {
        if (tok.length !== 2 || !spec) return undefined; // -abc, -b=x, -9, globals have no short form
        const short = tok[1];
        const long = Object.keys(spec.flags).find((k) => spec!.flags[k].alias === short);
        if (!long) return undefined;
        name = long;
      }
      const type = flagType(name, spec);
      if (!type) return undefined;
      if (given.has(name) && type !== 'array') return undefined; // yargs turns repeats into arrays
      const choices = GLOBAL_OPTIONS[name]?.choices ?? (spec && !GLOBAL_OPTIONS[name] ? spec.flags[name]?.choices : undefined);
      let value: unknown;
      if (type === 'boolean') {
        if (inline !== undefined) return undefined;
        const next = argv[i + 1];
        if (next === 'true' || next === 'false') return undefined; // yargs would take it as the value
        value = true;
      } else {
        let raw = inline;
        if (raw === undefined) {
          const next = argv[i + 1];
          if (next === undefined || next.startsWith('-')) return undefined;
          raw = next;
          i++;
        }
        if (type === 'string') value = raw;
        else if (type === 'array') value = [...((given.get(name) as string[] | undefined) ?? []), raw];
        else if (type === 'number') {
          if (!/^\d+$/.test(raw)) return undefined;
          value = Number(raw);
        } else {
          // untyped: yargs coerces numbers; `--rootless 1` is rare enough to leave to it
          if (raw === '' || looksLikeNumber(raw)) return undefined;
          value = raw;
        }
        if (choices && !choices.includes(String(value))) return undefined;
      }
      given.set(name, value);
      continue;
    }
    if (!spec) {
      if (!FAST_COMMANDS.has(tok)) return undefined;
      spec = byName.get(tok);
      if (!spec) return undefined;
      // a command flag given before the command name is a global yargs does not know
      for (const k of given.keys()) if (!GLOBAL_OPTIONS[k]) return undefined;
      continue;
    }
    positionals.push(tok);
  }
  if (!spec) return undefined;
  const wanted = positionalsOf(spec);
  if (!wanted) return undefined;
  const required = wanted.filter((p) => p.required).length;
  const fixed = wanted.filter((p) => !p.variadic).length;
  if (positionals.length < required || positionals.length > fixed) return undefined;

  const args: ParsedCommand['args'] = { _: [spec.name] };
  const set = (name: string, alias: string | undefined, v: unknown) => {
    args[name] = v;
    const camel = camelCase(name);
    if (camel !== name) args[camel] = v;
    if (alias) args[alias] = v;
  };
  for (const [name, g] of Object.entries(GLOBAL_OPTIONS)) {
    if (given.has(name)) set(name, undefined, given.get(name));
    else if (g.default !== undefined) set(name, undefined, g.default);
  }
  // yargs-cli.ts passes `default: flag.default` for every command flag, so yargs sets the keys
  // of absent flags without a default too, to undefined
  for (const [name, f] of Object.entries(spec.flags)) set(name, f.alias, given.has(name) ? given.get(name) : f.default);
  wanted.forEach((p, k) => {
    if (p.variadic) set(p.name, undefined, []);
    else if (k < positionals.length) set(p.name, undefined, coerce(positionals[k]));
  });
  return { spec, args };
}

function flagType(name: string, spec: CommandSpec | undefined): GlobalType | FlagSpec['type'] | undefined {
  const own = spec?.flags[name];
  const global = GLOBAL_OPTIONS[name];
  if (own && global) return undefined; // a command flag shadowing a global: leave it to yargs
  if (global) return global.type;
  return own?.type;
}

/**
 * The long and short flags in argv that neither the globals nor the command (the first word that is
 * a known command) declare, as yargs names them ("frobnicate", "x"). yargs' own message can miss
 * them: an unknown flag swallows the next word as its value, and then the complaint is about the
 * missing container id.
 */
export function unknownFlags(argv: readonly string[]): string[] {
  let spec: CommandSpec | undefined;
  const out: string[] = [];
  const known = (name: string) =>
    name in GLOBAL_OPTIONS || name === 'help' || name === 'version' || (spec !== undefined && name in spec.flags);
  const knownShort = (c: string) => c === 'h' || c === 'v' || (spec !== undefined && Object.values(spec.flags).some((f) => f.alias === c));
  for (const tok of argv) {
    if (tok === '--') break;
    if (tok.startsWith('--')) {
      const name = tok.slice(2).split('=')[0];
      if (name && !known(name)) out.push(name);
    } else if (tok.length > 1 && tok[0] === '-' && !/^-\d/.test(tok)) {
      for (const c of tok.slice(1).split('=')[0]) if (!knownShort(c)) out.push(c);
    } else if (!spec && byName.has(tok)) {
      spec = byName.get(tok);
    }
  }
  return out;
}
