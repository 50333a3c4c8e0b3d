// ocirt's entry point: parse the global flags and the subcommand, load the command's module on
// demand, run it, exit with its code. Every failure is one line on stderr (and in --log), exit
// status non-zero: engines decide on the exit status alone.
//
// Start-up is the hot path (engines run ocirt once per lifecycle step), so the runc-shaped
// invocations go through the small parser in fastpath.ts; yargs is imported only for help text,
// errors and anything that parser does not fully understand.
import type { CommandSpec } from './commands.js';
import type { CommandArgs, CommandContext, GlobalOptions } from './context.js';
import { camelCase, fastParse, GLOBAL_OPTIONS, splitCommand, unknownFlags } from './fastpath.js';
import { installLightStdio, stdioStreamsBuilt } from './light-stdio.js';
import { createLogger, type LogFormat, type Logger } from './log.js';
import { isOcirtError, OcirtError } from '../errors.js';
import { defaultStateRoot } from '../container/rootless.js';
import { embeddedAddon } from '../sys/embedded-addon.js';
import { versionText } from '../version.js';

const GLOBAL_KEYS = new Set(['root', 'log', 'log-format', 'logFormat', 'debug', 'systemd-cgroup', 'systemdCgroup', '$0']);

/** argv is a version request: --version or -v with nothing else but global flags, as runc takes it. */
function asksVersion(argv: string[]): boolean {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const global = a.startsWith('--') ? GLOBAL_OPTIONS[a.slice(2).split('=')[0]] : undefined;
    if (!global) rest.push(a);
    else if (global.type !== 'boolean' && !a.includes('=')) i++; // its value
  }
  return rest.length === 1 && (rest[0] === '--version' || rest[0] === '-v');
}

export async function main(argv: string[]): Promise<number> {
  if (asksVersion(argv)) {
    process.stdout.write(versionText());
    return 0;
  }
  // exec's command (ps's options), verbatim, beside what the parsers read
  const split = splitCommand(argv);
  const withCommand = (args: CommandArgs): CommandArgs =>
    split.command && split.name ? { ...args, [split.name]: split.command, [camelCase(split.name)]: split.command } : args;
  const fast = fastParse(split.argv);
  if (fast) return runCommand(fast.spec, withCommand(fast.args));

  const { buildParser, UsageError } = await import('./yargs-cli.js');
  let exitCode = 0;
  const parser = buildParser(split.argv, async (spec, args) => {
    exitCode = await runCommand(spec, withCommand(args as CommandArgs));
  });
  let parsed: Record<string, unknown>;
  try {
    parsed = (await parser.parseAsync()) as Record<string, unknown>;
  } catch (err) {
    const log = loggerFromArgv(argv);
    if (err instanceof UsageError) {
      // name unknown flags even when yargs complains about something else they caused
      const unknown = unknownFlags(argv).filter((f) => !err.message.includes(f));
      const msg = unknown.length ? `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}` : err.message;
      log.error(msg);
      process.stderr.write(`ocirt: ${msg}\nRun 'ocirt --help' for usage.\n`);
      return 1;
    }
    return report(err, log);
  }
  if (parsed.version === true) {
    process.stdout.write(versionText());
    return 0;
  }
  return exitCode;
}

async function runCommand(spec: CommandSpec, args: CommandArgs): Promise<number> {
  const globals = resolveGlobals(args);
  const log = createLogger({ path: globals.log, format: globals.logFormat, debug: globals.debug });
  const ctx: CommandContext = { globals, log };
  log.debug(`ocirt ${spec.name}: root ${globals.root}, rootless ${globals.rootless}`);
  try {
    if (globals.systemdCgroup) {
      throw new OcirtError('--systemd-cgroup is not supported yet: drop the flag to use cgroupfs directly');
    }
    const mod = await spec.load();
    const own: CommandArgs = { _: args._ };
    for (const [k, v] of Object.entries(args)) if (!GLOBAL_KEYS.has(k)) own[k] = v;
    return await mod.run(own, ctx);
  } catch (err) {
    return report(err, log);
  }
}

function resolveGlobals(args: Record<string, unknown>): GlobalOptions {
  const root = typeof args.root === 'string' && args.root !== '' ? args.root : defaultStateRoot();
  return {
    root,
    log: typeof args.log === 'string' && args.log !== '' ? args.log : undefined,
    logFormat: (args['log-format'] as LogFormat | undefined) ?? 'text',
    debug: args.debug === true,
    systemdCgroup: args['systemd-cgroup'] === true,
    rootless: rootlessMode(args.rootless),
  };
}

/** The global --rootless takes auto|true|false; `spec --rootless` is that command's own boolean. */
function rootlessMode(v: unknown): GlobalOptions['rootless'] {
  if (v === undefined || v === '' || typeof v === 'boolean') return 'auto';
  if (v === 'auto' || v === 'true' || v === 'false') return v;
  throw new OcirtError(`--rootless: expected auto, true or false, got ${JSON.stringify(v)}`);
}

function report(err: unknown, log: Logger): number {
  const msg = err instanceof Error ? err.message : String(err);
  log.error(msg);
  process.stderr.write(`ocirt: ${msg}\n`);
  if (!isOcirtError(err) && err instanceof Error && err.stack && process.env.OCIRT_DEBUG) {
    process.stderr.write(err.stack + '\n');
  }
  return isOcirtError(err) ? err.exitCode : 1;
}

/** A logger for failures that happen before the command's own context exists. */
function loggerFromArgv(argv: string[]): Logger {
  const get = (flag: string) => {
    const i = argv.findIndex((a) => a === flag || a.startsWith(flag + '='));
    if (i < 0) return undefined;
    return argv[i].includes('=') ? argv[i].slice(flag.length + 1) : argv[i + 1];
  };
  return createLogger({ path: get('--log'), format: get('--log-format') === 'json' ? 'json' : 'text', debug: false });
}

// No top-level await: the single executable is compiled to bytecode, which needs a CommonJS bundle.
// process.stdout/stderr as plain fd writers (light-stdio.ts; exe-entry.ts installed them already).
installLightStdio();
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  exitAtOnce(code);
});

/**
 * In the executable: exit_group now, without Bun's teardown (3-4 ms per command), when all output
 * went through light-stdio's synchronous writers. If a real stream was built (yargs' help and
 * errors), its writes may be pending: then the runtime exits as usual and flushes them, as Node
 * always does. BUN_BYTECODE_ORDER_OUT (a profiling run) is written by Bun's own exit.
 */
function exitAtOnce(code: number): void {
  const addon = embeddedAddon<{ exitNow(code: number): never }>();
  if (addon && !stdioStreamsBuilt() && !process.env.BUN_BYTECODE_ORDER_OUT) addon.exitNow(code);
}
