// `start` returns once the container's program runs, as runc's does: it reads exec.fifo on to
// end-of-file, which comes when the init's execve closes its (CLOEXEC) end. Otherwise a signal
// sent right after start can reach an init that has not exec'd the program yet (and, as pid 1
// without a handler, ignores it: runtime-tools' killsig failed that way once start got fast).
//
// A real init execs within a millisecond of writing its byte, too soon to observe; here a
// stand-in init (a shell holding the fifo open) writes the byte, waits, records that it is about
// to "exec", and only then closes the fifo. start must not return before that record exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OCIRT } from '../helpers/containers.js';

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

test('start waits for the init to close exec.fifo (its execve) before it returns', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ocirt-start-'));
  try {
    const id = 'fake-init';
    const dir = join(root, id);
    mkdirSync(dir);
    const fifo = join(dir, 'exec.fifo');
    const mark = join(root, 'exec-reached');
    spawnSync('mkfifo', [fifo]);
    // open for writing (blocks until start opens for reading), write the byte, linger, mark, close
    const init = spawn('sh', ['-c', 'exec 3>"$1"; printf 0 >&3; sleep 0.3; : > "$2"; exec 3>&-; sleep 30', 'fake-init', fifo, mark], {
      stdio: 'ignore',
    });
    try {
      const pid = init.pid!;
      const state = {
        ociVersion: '1.3.0',
        id,
        pid,
        pidStartTime: startTime(pid),
        bundle: root,
        rootfs: root,
        created: new Date().toISOString(),
        owner: 'root',
        rootless: false,
      };
      writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
      const env = { ...process.env };
      delete env.NODE_EXTRA_CA_CERTS;
      const res = spawnSync(OCIRT, ['--root', root, 'start', id], { encoding: 'utf8', env });
      assert.equal(res.status, 0, res.stderr);
      assert.ok(existsSync(mark), 'start returned while the init still held exec.fifo open (before its exec)');
      assert.ok(!existsSync(fifo), 'start removes exec.fifo');
    } finally {
      init.kill('SIGKILL');
      await new Promise((resolve) => init.once('exit', resolve));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
