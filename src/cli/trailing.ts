// Commands whose last positional is variadic (ps's options for ps(1)) take every word after
// their leading positionals as it is, flags included, as runc does: its flags end at the first
// positional, so `runc ps ID -ef` hands "-ef" to ps. The parsers then see only the head.
import { COMMANDS } from './commands.js';
import { GLOBAL_OPTIONS } from './fastpath.js';

export interface Split {
  head: string[];
  /** the variadic positional's name and its words, for a command that has one */
  rest?: { name: string; words: string[] };
}

export function splitTrailing(argv: readonly string[]): Split {
  let i = 0;
  const takesValue = (name: string, flags: Record<string, { type: string; alias?: string }>) => {
    const f = flags[name] ?? Object.values(flags).find((x) => x.alias === name);
    if (f) return f.type !== 'boolean';
    const g = GLOBAL_OPTIONS[name];
    return g !== undefined && g.type !== 'boolean';
  };
  const flagName = (tok: string) => tok.replace(/^--?/, '').split('=')[0];
  // global flags, then the command
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    if (!argv[i].includes('=') && takesValue(flagName(argv[i]), {})) i++;
  }
  const spec = COMMANDS.find((c) => c.name === argv[i]);
  const m = spec && /\[([a-z-]+)\.\.\]$/.exec(spec.positionals);
  if (!spec || !m) return { head: [...argv] };
  const fixed = spec.positionals.split(' ').filter(Boolean).length - 1;
  let seen = 0;
  for (i++; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') return { head: [...argv.slice(0, i)], rest: { name: m[1], words: argv.slice(i + 1) } };
    if (tok.startsWith('-') && tok.length > 1) {
      if (!tok.includes('=') && takesValue(flagName(tok), spec.flags)) i++;
      continue;
    }
    if (++seen === fixed) return { head: [...argv.slice(0, i + 1)], rest: { name: m[1], words: argv.slice(i + 1) } };
  }
  return { head: [...argv] };
}
