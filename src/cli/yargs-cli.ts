// The full CLI parser: yargs with every command of the table, for help text, error messages and
// anything the fast path (fastpath.ts) leaves alone. Imported by main.ts only when needed: yargs
// costs tens of milliseconds to load and configure.
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { COMMANDS, type CommandSpec } from './commands.js';
import { GLOBAL_OPTIONS } from './fastpath.js';

export class UsageError extends Error {}

/**
 * A yargs parser for argv that calls onCommand(spec, args) for the command it parsed. Parsing
 * errors reject parseAsync() with a UsageError; errors from onCommand reject it unchanged.
 */
export function buildParser(argv: string[], onCommand: (spec: CommandSpec, args: Record<string, unknown>) => Promise<void> | void): Argv {
  const parser = yargs(withoutRedundantDoubleDash(argv))
    .scriptName('ocirt')
    .usage(
      'ocirt — an OCI container runtime (runtime-spec v1.3.0), runc-compatible\n\n' +
        'Usage: $0 [global options] <command> [command options] [arguments...]',
    )
    .parserConfiguration({ 'boolean-negation': false, 'populate--': false })
    .option('root', {
      type: 'string',
      describe: 'root directory for container state (default /run/ocirt, or $XDG_RUNTIME_DIR/ocirt when unprivileged)',
    })
    .option('log', { type: 'string', describe: 'log file path (default: none; errors always go to stderr)' })
    .option('log-format', {
      type: 'string',
      choices: GLOBAL_OPTIONS['log-format'].choices,
      default: GLOBAL_OPTIONS['log-format'].default,
      describe: 'log format',
    })
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
        await onCommand(spec, args as Record<string, unknown>);
      },
    );
  }
  return parser;
}

/**
 * runc takes `create -b . -- ID`; yargs fills no positional from after a `--`. When nothing after
 * it looks like a flag, the `--` changes nothing and is dropped; otherwise (an id "-x") yargs
 * reports it, while the fast parser (fastpath.ts) takes such argv itself.
 */
export function withoutRedundantDoubleDash(argv: readonly string[]): string[] {
  const i = argv.indexOf('--');
  if (i < 0 || argv.slice(i + 1).some((a) => a.startsWith('-'))) return [...argv];
  return [...argv.slice(0, i), ...argv.slice(i + 1)];
}

function configure(y: Argv, spec: CommandSpec): Argv {
  for (const [name, flag] of Object.entries(spec.flags)) {
    y.option(name, {
      // a repeatable flag takes one value each time; yargs' plain array would swallow the id
      ...(flag.type === 'array' ? { type: 'string', array: true, nargs: 1 } : { type: flag.type }),
      alias: flag.alias,
      describe: flag.describe,
      default: flag.default,
      choices: flag.choices,
    });
  }
  for (const [cmd, what] of spec.examples) y.example(cmd, what);
  return y;
}
