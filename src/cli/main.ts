// ocirt's entry point: parse the global flags and the subcommand with yargs, load the command's
// module on demand, run it, exit with its code. Every failure is one line on stderr (and in
// --log), exit status non-zero: engines decide on the exit status alone.
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { COMMANDS, type CommandSpec } from './commands.js';
import { defaultRoot, type CommandArgs, type CommandContext, type GlobalOptions } from './context.js';
import { createLogger, type LogFormat, type Logger } from './log.js';
import { OcirtError } from '../errors.js';
import { versionText } from '../version.js';

class UsageError extends Error {}

const GLOBAL_KEYS = new Set(['root', 'log', 'log-format', 'logFormat', 'debug', 'systemd-cgroup', 'systemdCgroup', '$0']);

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(versionText());
    return 0;
  }
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('ocirt')
    .usage(
      'ocirt — an OCI container runtime (runtime-spec v1.3.0), runc-compatible\n\n' +
        'Usage: $0 [global options] <command> [command options] [arguments...]',
    )
    .parserConfiguration({ 'boolean-negation': false, 'populate--': false })
    .option('root', { type: 'string', describe: 'root directory for container state (default /run/ocirt, or $XDG_RUNTIME_DIR/ocirt when unprivileged)' })
    .option('log', { type: 'string', describe: 'log file path (default: none; errors always go to stderr)' })
    .option('log-format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'log format' })
    .option('debug', { type: 'boolean', default: false, describe: 'enable debug logging' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'use systemd for cgroups (not supported yet)' })
    .option('rootless', {
      // untyped: `spec --rootless` is that command's boolean, the global takes auto|true|false
      describe: 'auto|true|false: ignore cgroup permission errors (default auto)',
    })
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .help('help')
    .alias('help', 'h')
    .strict()
    .strictCommands()
    .demandCommand(1, 'no command given: see `ocirt --help`')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilog('Run `ocirt <command> --help` for the flags of one command.')
    .fail((msg, err) => {
      // Parsing errors (unknown flags or commands, missing arguments) and handler errors both end here.
      // Throwing stops yargs from running the handler after a failed validation.
      throw err ?? new UsageError(msg);
    })
    .exitProcess(false);

  for (const spec of COMMANDS) {
    parser.command(
      spec.positionals ? `${spec.name} ${spec.positionals}` : spec.name,
      spec.describe,
      (y: Argv) => configure(y, spec),
      async (args) => {
        exitCode = await runCommand(spec, args as unknown as CommandArgs);
      },
    );
  }

  let parsed: Record<string, unknown>;
  try {
    parsed = (await parser.parseAsync()) as Record<string, unknown>;
  } catch (err) {
    const log = loggerFromArgv(argv);
    if (err instanceof UsageError) {
      log.error(err.message);
      process.stderr.write(`ocirt: ${err.message}\nRun 'ocirt --help' for usage.\n`);
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

function configure(y: Argv, spec: CommandSpec): Argv {
  for (const [name, flag] of Object.entries(spec.flags)) {
    y.option(name, {
      type: flag.type,
      alias: flag.alias,
      describe: flag.describe,
      default: flag.default,
      choices: flag.choices,
    });
  }
  for (const [cmd, what] of spec.examples) y.example(cmd, what);
  return y;
}

async function runCommand(spec: CommandSpec, args: CommandArgs): Promise<number> {
  const globals = resolveGlobals(args);
  const log = createLogger({ path: globals.log, format: globals.logFormat, debug: globals.debug });
  const ctx: CommandContext = { globals, log };
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
  const root = typeof args.root === 'string' && args.root !== '' ? args.root : defaultRoot();
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
  if (!(err instanceof OcirtError) && err instanceof Error && err.stack && process.env.OCIRT_DEBUG) {
    process.stderr.write(err.stack + '\n');
  }
  return err instanceof OcirtError ? err.exitCode : 1;
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

const code = await main(process.argv.slice(2));
process.exitCode = code;
