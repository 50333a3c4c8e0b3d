// The command table: every subcommand's flags, positionals and help, as data. main.ts turns it
// into yargs commands; the implementation module is imported only when the command runs, so
// `ocirt state` never loads the validator or the addon.
import type { CommandModule } from './context.js';

export interface FlagSpec {
  /** 'array': a string flag that may be repeated, one value each time (collected in order) */
  type: 'string' | 'boolean' | 'number' | 'array';
  alias?: string;
  describe: string;
  default?: unknown;
  choices?: string[];
}

export interface CommandSpec {
  name: string;
  /** positionals in yargs syntax, e.g. "<container-id> [signal]" */
  positionals: string;
  describe: string;
  flags: Record<string, FlagSpec>;
  examples: [string, string][];
  load: () => Promise<CommandModule>;
}

const bundle: FlagSpec = {
  type: 'string',
  alias: 'b',
  describe: 'path to the root of the bundle directory (default: the current directory)',
};
const consoleSocket: FlagSpec = {
  type: 'string',
  describe: 'path to an AF_UNIX socket which will receive the file descriptor of the pty master',
};
const pidFile: FlagSpec = { type: 'string', describe: 'file to write the process id to' };
const preserveFds: FlagSpec = {
  type: 'number',
  default: 0,
  describe: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N)',
};
const createFlags: Record<string, FlagSpec> = {
  bundle,
  'console-socket': consoleSocket,
  'pid-file': pidFile,
  'no-pivot': { type: 'boolean', default: false, describe: 'do not use pivot_root; move the rootfs onto / and chroot' },
  'no-new-keyring': { type: 'boolean', default: false, describe: 'do not create a new session keyring for the container' },
  'preserve-fds': preserveFds,
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'create',
    positionals: '<container-id>',
    describe: 'create a container from a bundle; the process waits until `start`',
    flags: createFlags,
    examples: [['$0 create -b /path/to/bundle mycontainer', 'create "mycontainer" from the bundle']],
    load: () => import('./create.js'),
  },
  {
    name: 'start',
    positionals: '<container-id>',
    describe: 'run the user process of a created container',
    flags: {},
    examples: [['$0 start mycontainer', 'release the waiting container process']],
    load: () => import('./start.js'),
  },
  {
    name: 'run',
    positionals: '<container-id>',
    describe: 'create and start a container; waits for it and exits with its exit code unless --detach',
    flags: {
      ...createFlags,
      detach: { type: 'boolean', alias: 'd', default: false, describe: 'detach from the container process' },
      keep: { type: 'boolean', default: false, describe: 'do not delete the container after it exits' },
    },
    examples: [['$0 run -b bundle demo', 'run the bundle in the foreground as container "demo"']],
    load: () => import('./run.js'),
  },
  {
    name: 'state',
    positionals: '<container-id>',
    describe: 'print the runtime-spec state of a container as JSON',
    flags: {},
    examples: [['$0 state mycontainer', 'show status, pid and bundle']],
    load: () => import('./state.js'),
  },
  {
    name: 'kill',
    positionals: '<container-id> [signal]',
    describe: 'send a signal (default SIGTERM) to the container process',
    flags: { all: { type: 'boolean', alias: 'a', default: false, describe: 'send the signal to all processes in the container' } },
    examples: [
      ['$0 kill mycontainer KILL', 'send SIGKILL'],
      ['$0 kill mycontainer 9', 'the same, by number'],
    ],
    load: () => import('./kill.js'),
  },
  {
    name: 'delete',
    positionals: '<container-id>',
    describe: 'delete a stopped container and everything create made for it',
    flags: { force: { type: 'boolean', alias: 'f', default: false, describe: 'kill the container first if it is running' } },
    examples: [['$0 delete -f mycontainer', 'kill and delete']],
    load: () => import('./delete.js'),
  },
  {
    name: 'list',
    positionals: '',
    describe: 'list the containers under --root',
    flags: {
      format: { type: 'string', alias: 'f', default: 'table', choices: ['table', 'json'], describe: 'output format' },
      quiet: { type: 'boolean', alias: 'q', default: false, describe: 'print only the container ids' },
    },
    examples: [['$0 list -f json', 'machine-readable list']],
    load: () => import('./list.js'),
  },
  {
    name: 'exec',
    positionals: '<container-id> [command..]',
    describe: 'run an additional process in a running container (everything after the id is the command)',
    flags: {
      'console-socket': consoleSocket,
      cwd: { type: 'string', describe: 'current working directory in the container' },
      env: { type: 'array', alias: 'e', default: [], describe: 'set an environment variable (NAME=VALUE); repeatable' },
      tty: { type: 'boolean', alias: 't', default: false, describe: 'allocate a pseudo-TTY' },
      user: { type: 'string', alias: 'u', describe: 'UID[:GID] to run as' },
      'additional-gids': { type: 'array', alias: 'g', default: [], describe: 'an additional group id; repeatable' },
      process: { type: 'string', alias: 'p', describe: 'path to a process.json (runtime-spec process) to run instead of ARGS' },
      detach: { type: 'boolean', alias: 'd', default: false, describe: 'detach from the process' },
      'pid-file': pidFile,
      'process-label': { type: 'string', describe: 'SELinux label for the process' },
      apparmor: { type: 'string', describe: 'AppArmor profile for the process' },
      'no-new-privs': { type: 'boolean', default: false, describe: 'set no_new_privs for the process' },
      cap: {
        type: 'array',
        alias: 'c',
        default: [],
        describe: 'add a capability to the bounding, effective and permitted sets; repeatable',
      },
      'preserve-fds': { ...preserveFds, describe: 'pass N additional file descriptors (3 to 2+N) to the process' },
      cgroup: { type: 'array', default: [], describe: 'run the process in an existing sub-cgroup, [<controller>:]<path>; repeatable' },
      'ignore-paused': { type: 'boolean', default: false, describe: 'allow exec in a paused container' },
    },
    examples: [
      ['$0 exec mycontainer ps', 'run ps in the container'],
      ['$0 exec -t mycontainer sh', 'an interactive shell'],
      ['$0 exec -d --pid-file p.pid -p process.json mycontainer', 'what engines run'],
    ],
    load: () => import('./exec.js'),
  },
  {
    name: 'ps',
    positionals: '<container-id> [ps-options..]',
    describe: 'list the processes running in a container (words after the id are options for ps(1), default -ef)',
    flags: { format: { type: 'string', alias: 'f', default: 'table', choices: ['table', 'json'], describe: 'output format' } },
    examples: [
      ['$0 ps -f json mycontainer', 'host pids as a JSON array'],
      ['$0 ps mycontainer -o pid,rss,args', 'ps(1) columns of its processes'],
    ],
    load: () => import('./ps.js'),
  },
  {
    name: 'pause',
    positionals: '<container-id>',
    describe: 'freeze all processes of a container',
    flags: {},
    examples: [['$0 pause mycontainer', 'freeze it']],
    load: () => import('./pause.js'),
  },
  {
    name: 'resume',
    positionals: '<container-id>',
    describe: 'thaw a paused container',
    flags: {},
    examples: [['$0 resume mycontainer', 'thaw it']],
    load: () => import('./resume.js'),
  },
  {
    name: 'update',
    positionals: '<container-id>',
    describe: 'change the cgroup resource limits of a running container (only the values given)',
    flags: {
      resources: { type: 'string', alias: 'r', describe: 'path to a JSON file with linux.resources ("-" for stdin)' },
      memory: { type: 'string', describe: 'memory limit in bytes (k, m, g suffixes; -1: unlimited)' },
      'memory-swap': { type: 'string', describe: 'memory plus swap limit (-1: unlimited swap)' },
      'memory-reservation': { type: 'string', describe: 'memory reservation (soft limit)' },
      'kernel-memory': { type: 'string', describe: 'obsolete: ignored, as by the kernel' },
      'kernel-memory-tcp': { type: 'string', describe: 'TCP buffer limit (cgroup v1)' },
      'cpu-share': { type: 'string', describe: 'CPU shares (relative weight)' },
      'cpu-shares': { type: 'string', describe: 'the same as --cpu-share' },
      'cpu-quota': { type: 'string', describe: 'CPU CFS quota in microseconds per period (-1: none)' },
      'cpu-period': { type: 'string', describe: 'CPU CFS period in microseconds' },
      'cpu-burst': { type: 'string', describe: 'CPU CFS burst in microseconds' },
      'cpu-rt-period': { type: 'string', describe: 'realtime period in microseconds (cgroup v1)' },
      'cpu-rt-runtime': { type: 'string', describe: 'realtime runtime in microseconds (cgroup v1)' },
      'cpuset-cpus': { type: 'string', describe: 'CPUs to run on, e.g. 0-3,6' },
      'cpuset-mems': { type: 'string', describe: 'memory nodes to use' },
      'blkio-weight': { type: 'string', describe: 'block I/O weight, 10 to 1000' },
      'pids-limit': { type: 'string', describe: 'maximum number of processes (-1: unlimited)' },
      'l3-cache-schema': { type: 'string', describe: 'Intel RDT L3 cache schema (not supported)' },
      'mem-bw-schema': { type: 'string', describe: 'Intel RDT memory bandwidth schema (not supported)' },
    },
    examples: [
      ['$0 update --pids-limit 100 mycontainer', 'limit the number of processes'],
      ['$0 update -r resources.json mycontainer', 'apply a linux.resources document'],
    ],
    load: () => import('./update.js'),
  },
  {
    name: 'events',
    positionals: '<container-id>',
    describe: 'print resource statistics (every --interval) and OOM events of a container, as JSON lines',
    flags: {
      interval: { type: 'string', default: '5s', describe: 'interval between stats, e.g. 5s, 500ms' },
      stats: { type: 'boolean', default: false, describe: 'print the stats once and exit' },
    },
    examples: [['$0 events --stats mycontainer', 'one stats snapshot']],
    load: () => import('./events.js'),
  },
  {
    name: 'features',
    positionals: '',
    describe: 'print the features this runtime supports as JSON (runtime-spec features.md)',
    flags: {},
    examples: [['$0 features', 'show supported namespaces, capabilities, mount options']],
    load: () => import('./features.js'),
  },
  {
    name: 'spec',
    positionals: '',
    describe: 'write a default config.json into the bundle directory',
    flags: {
      bundle,
      rootless: { type: 'boolean', default: false, describe: 'generate a configuration for a rootless container' },
    },
    examples: [
      ['$0 spec', 'write ./config.json for a root container'],
      ['$0 spec --rootless -b mybundle', 'write mybundle/config.json for an unprivileged user'],
    ],
    load: () => import('./spec.js'),
  },
  {
    name: 'validate',
    positionals: '',
    describe: 'check a bundle (config.json and rootfs) and report every problem at once',
    flags: {
      bundle,
      strict: {
        type: 'boolean',
        default: false,
        describe: 'treat warnings (unknown or misspelt keys, values only other runtimes accept) as errors',
      },
    },
    examples: [
      ['$0 validate -b mybundle', 'list all problems with their JSON path and line:column'],
      ['$0 validate --strict', 'also fail on unknown keys such as a misspelt "destnation"'],
    ],
    load: () => import('./validate.js'),
  },
];
