// What the user sees from the CLI itself (help, usage errors, "not implemented", missing
// containers) must be the same from the binary under test (OCIRT_BIN: the executable, whose
// front end and fast exit take other paths) as from the Node entry, and must not be empty: output
// written through a stream that is still pending when the process exits would be lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OCIRT, REPO } from '../helpers/containers.js';

const NODE_ENTRY = join(REPO, 'bin', 'ocirt');

const CASES: string[][] = [
  ['--help'],
  ['spec', '--help'],
  ['kill'],
  ['features'],
  ['nonsense'],
  ['state', '--frobnicate', 'x'],
  ['state', 'nope'],
  ['kill', 'nope', 'KILL'],
  ['delete', 'nope'],
  ['start', 'nope'],
  ['validate', '-b', '/nonexistent-bundle'],
  ['list', '--format', 'bogus'],
  ['list', '-q'],
  ['state', 'a'.repeat(1100)],
  ['delete', '-f', 'x/../../etc'],
];

function run(bin: string, root: string, argv: string[]) {
  // no COLUMNS, as under an engine: yargs then asks the stream for its width, which builds it
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.COLUMNS;
  // Into files, as conmon and the shims take a runtime's output (Node's 'pipe' would hand the
  // child a socket, which the runtimes write differently from a file or a real pipe).
  const out = join(root, 'stdout');
  const err = join(root, 'stderr');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync(bin, ['--root', root, ...argv], { cwd: root, env, stdio: ['ignore', fds[0], fds[1]] });
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}

test('the binary under test prints what the Node entry prints', () => {
  const root = mkdtempSync(join(tmpdir(), 'ocirt-cli-output-'));
  try {
    for (const argv of CASES) {
      const want = run(NODE_ENTRY, root, argv);
      const got = run(OCIRT, root, argv);
      assert.ok(want.stdout.length + want.stderr.length > 0 || argv[0] === 'list', `${argv.join(' ')}: the Node entry printed nothing`);
      assert.deepEqual(got, want, `ocirt ${argv.join(' ')}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
