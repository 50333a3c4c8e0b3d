// containerd 1.6 with its runc shim (io.containerd.runc.v2) running dist/ocirt-exe as its runc
// (the runc options' BinaryName, ctr's --runc-binary), through ctr. Every scenario checks what a
// ctr user sees: output, exit status, the task's status.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Containerd, IMAGE, Podman, RUNTIME, cannotRun, imageTar, waitFor, type Result } from './engines.ts';

const skip = cannotRun('containerd', 'ctr', 'containerd-shim-runc-v2', 'podman', 'script');

function ok(r: Result, what: string): string {
  assert.equal(r.status, 0, `${what}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

describe(`containerd's runc shim with ${RUNTIME}`, { skip }, () => {
  let c: Containerd;
  let work: string;
  let seq = 0;
  const name = (what: string) => `${what}-${++seq}`;

  before(async () => {
    work = mkdtempSync('/tmp/ocirt-engine-work-');
    // the image: busybox-static imported by podman, handed to containerd as an OCI archive
    const p = new Podman('root');
    try {
      p.importImage(imageTar(work));
      p.saveImage(join(work, 'image.oci.tar'));
    } finally {
      p.teardown();
    }
    c = new Containerd();
    await c.start();
    c.importImage(join(work, 'image.oci.tar'));
  });
  after(async () => {
    const left = c.leftovers();
    const runtimeState = existsSync(c.runtimeRoot) ? readdirSync(c.runtimeRoot).flatMap((ns) => readdirSync(join(c.runtimeRoot, ns))) : [];
    await c.teardown();
    rmSync(work, { recursive: true, force: true });
    assert.equal(left.tasks, '', 'no task left');
    assert.deepEqual(
      runtimeState.filter((n) => !n.startsWith('.')),
      [],
      'no container state left in the runtime root',
    );
  });

  const ctr = (args: string[], opts?: Parameters<Containerd['ctr']>[1]) => c.ctr(args, opts);
  const run = (args: string[], opts?: Parameters<Containerd['ctr']>[1]) => c.ctr(['run', ...c.runArgs(), ...args], opts);
  const taskStatus = (id: string) =>
    (
      ctr(['tasks', 'ls'])
        .stdout.split('\n')
        .find((l) => l.split(/\s+/)[0] === id) ?? ''
    ).split(/\s+/)[2];
  /** a detached task that prints "ready" into <dir>/log (ctr run -d keeps no output) */
  const detached = async (id: string, script: string) => {
    const dir = mkdtempSync(join(work, 'out-'));
    ok(
      run([
        '-d',
        '--mount',
        `type=bind,src=${dir},dst=/out,options=rbind:rw`,
        IMAGE,
        id,
        'sh',
        '-c',
        `${script.replace('READY', 'echo ready > /out/log')}`,
      ]),
      'run -d',
    );
    await waitFor(`${id} to be ready`, () => existsSync(join(dir, 'log')));
    return dir;
  };
  const remove = async (id: string) => {
    if (taskStatus(id) && taskStatus(id) !== 'STOPPED') {
      ctr(['tasks', 'kill', '-s', 'KILL', id]);
      await waitFor(`${id} to stop`, () => taskStatus(id) === 'STOPPED');
    }
    ctr(['tasks', 'delete', id]);
    ok(ctr(['containers', 'delete', id]), 'containers delete');
  };

  test('run: output and exit status', () => {
    assert.equal(ok(run(['--rm', IMAGE, name('run'), 'echo', 'hello from ocirt']), 'run'), 'hello from ocirt\n');
    assert.equal(run(['--rm', IMAGE, name('exit'), 'sh', '-c', 'exit 5']).status, 5);
    const missing = run(['--rm', IMAGE, name('missing'), '/no/such/program']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /no such file or directory/);
  });

  test('run -t: a terminal', () => {
    const r = run(['--rm', '-t', IMAGE, name('tty'), 'sh', '-c', 'tty; [ -t 0 ] && echo is-a-tty'], { tty: true });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.match(r.stdout, /is-a-tty/);
  });

  test('run --null-io: one read-only /dev/null for stdin, stdout and stderr, and the program can write', () => {
    const dir = mkdtempSync(join(work, 'nullio-'));
    const r = run([
      '--rm',
      '--null-io',
      '--mount',
      `type=bind,src=${dir},dst=/out,options=rbind:rw`,
      IMAGE,
      name('nullio'),
      'sh',
      '-c',
      'echo out; echo "out $?" > /out/rc; echo err >&2; echo "err $?" >> /out/rc',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'rc'), 'utf8'), 'out 0\nerr 0\n');
  });

  test('run -d, kill (TERM handled, exit 0), delete', async () => {
    const id = name('daemon');
    const dir = await detached(id, 'trap "echo term >> /out/log; exit 0" TERM; READY; while :; do sleep 0.1; done');
    assert.equal(taskStatus(id), 'RUNNING');
    ok(ctr(['tasks', 'kill', '-s', 'TERM', id]), 'tasks kill');
    await waitFor(`${id} to stop`, () => taskStatus(id) === 'STOPPED');
    assert.match(readFileSync(join(dir, 'log'), 'utf8'), /term/);
    const del = ctr(['tasks', 'delete', id]);
    assert.equal(del.status, 0, del.stderr);
    ok(ctr(['containers', 'delete', id]), 'containers delete');
    assert.equal(taskStatus(id), undefined);
  });

  test('kill -s KILL of a program that ignores TERM; the exit status is 137', async () => {
    const id = name('stubborn');
    await detached(id, 'trap "" TERM; READY; while :; do sleep 0.1; done');
    ok(ctr(['tasks', 'kill', '-s', 'TERM', id]), 'TERM');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(taskStatus(id), 'RUNNING', 'TERM is ignored');
    ok(ctr(['tasks', 'kill', '-s', 'KILL', id]), 'KILL');
    await waitFor(`${id} to stop`, () => taskStatus(id) === 'STOPPED');
    const del = ctr(['tasks', 'delete', id]);
    assert.match(del.stdout + del.stderr, /137/);
    ok(ctr(['containers', 'delete', id]), 'containers delete');
  });

  test("tasks ps lists the task's processes", async () => {
    const id = name('ps');
    await detached(id, 'READY; sleep 1000 & wait');
    const ps = ok(ctr(['tasks', 'ps', id]), 'tasks ps');
    assert.ok(ps.trim().split('\n').length >= 3, `the shell and its sleep: ${ps}`);
    await remove(id);
  });

  test('pause and resume', async () => {
    const id = name('pause');
    const dir = await detached(id, 'READY; i=0; while :; do i=$((i+1)); echo $i > /out/count; sleep 0.05; done');
    const count = () => Number(readFileSync(join(dir, 'count'), 'utf8') || '0');
    ok(ctr(['tasks', 'pause', id]), 'pause');
    assert.equal(taskStatus(id), 'PAUSED');
    const frozen = count();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(count(), frozen, 'nothing runs while paused');
    ok(ctr(['tasks', 'resume', id]), 'resume');
    assert.equal(taskStatus(id), 'RUNNING');
    await waitFor('the count to go on', () => count() > frozen);
    await remove(id);
  });

  test('tasks exec: output and exit status', async () => {
    const id = name('exec');
    await detached(id, 'READY; sleep 1000');
    assert.equal(ok(ctr(['tasks', 'exec', '--exec-id', 'e1', id, 'echo', 'from exec']), 'exec'), 'from exec\n');
    assert.equal(ctr(['tasks', 'exec', '--exec-id', 'e2', id, 'sh', '-c', 'exit 4']).status, 4);
    await remove(id);
  });

  test("tasks exec -t: a terminal for the exec'd process", async () => {
    const id = name('exect');
    await detached(id, 'READY; sleep 1000');
    const r = ctr(['tasks', 'exec', '-t', '--exec-id', 'e3', id, 'sh', '-c', 'tty; [ -t 0 ] && echo is-a-tty'], { tty: true });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    await remove(id);
  });
});
