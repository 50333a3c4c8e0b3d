// `ocirt state` (and kill, start, delete) cannot be fooled by a process that takes the pid of a
// container's init after the init exited: the status is derived from the live process and its start
// time, never from state.json's pid alone, and no signal reaches the newcomer. The container here
// has no pid namespace of its own, so its init's pid is one of the runner's namespace
// (scripts/isolated.sh), where the test plants the impostor at exactly that pid
// (/proc/sys/kernel/ns_last_pid).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { json, newId, runner, testUser, type Bundle, type Runner, type User } from '../helpers/containers.ts';
import { SKIP, attackBundle } from '../helpers/security.ts';
import { sleepMs } from '../../src/sleep.ts';
import { isSameProcess, readProcStat } from '../../src/container/status.ts';

/** A process with exactly `pid`, or undefined if the pid could not be had. */
function impostorAt(pid: number): ChildProcess | undefined {
  for (let i = 0; i < 20; i++) {
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const child = spawn('sleep', ['120'], { stdio: 'ignore' });
    if (child.pid === pid) return child;
    child.kill('SIGKILL');
  }
  return undefined;
}

function waitGone(pid: number, startTime: number): void {
  for (let i = 0; i < 2000 && isSameProcess(pid, startTime); i++) sleepMs(5);
  // reaped too, so that the pid is free again
  for (let i = 0; i < 2000 && readProcStat(pid); i++) sleepMs(5);
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`a process reusing the init's pid is not the container (${mode})`, { skip: SKIP }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    const impostors: ChildProcess[] = [];
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      b = attackBundle((c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
        c.process.args = ['/bin/probe', 'exit', '0'];
        // without a pid namespace of its own a user namespace may not mount a procfs: bind it
        if (user) c.mounts[0] = { destination: '/proc', type: 'bind', source: '/proc', options: ['rbind'] };
      }, user);
    });
    after(() => {
      impostors.forEach((p) => p.kill('SIGKILL'));
      r.cleanup();
      b.cleanup();
    });

    const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null && existsSync(`/proc/${p.pid}`);

    test('after the init exits', (t) => {
      if (!existsSync('/proc/sys/kernel/ns_last_pid')) return t.skip('no /proc/sys/kernel/ns_last_pid');
      const id = newId('reuse');
      assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
      const pid = json(r.run(['state', id])).pid as number;
      const startTime = readProcStat(pid)!.startTime;
      assert.equal(r.run(['start', id]).status, 0);
      waitGone(pid, startTime);
      const impostor = impostorAt(pid);
      if (!impostor) return t.skip(`could not get pid ${pid} again`);
      impostors.push(impostor);
      const s = json(r.run(['state', id]));
      assert.equal(s.status, 'stopped');
      assert.equal(s.pid, 0);
      const k = r.run(['kill', id, 'KILL']);
      assert.equal(k.status, 1);
      assert.match(k.stderr, /not running/);
      assert.equal(r.run(['delete', id]).status, 0);
      sleepMs(200);
      assert.ok(alive(impostor), 'the process that reused the pid was signalled');
    });

    test('while the container is created, its init killed from outside', (t) => {
      if (!existsSync('/proc/sys/kernel/ns_last_pid')) return t.skip('no /proc/sys/kernel/ns_last_pid');
      const id = newId('reuse');
      assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
      const pid = json(r.run(['state', id])).pid as number;
      const startTime = readProcStat(pid)!.startTime;
      process.kill(pid, 'SIGKILL');
      waitGone(pid, startTime);
      const impostor = impostorAt(pid);
      if (!impostor) return t.skip(`could not get pid ${pid} again`);
      impostors.push(impostor);
      const s = json(r.run(['state', id]));
      assert.equal(s.status, 'stopped', 'a stale exec fifo with a live process of that pid');
      const st = r.run(['start', id]);
      assert.equal(st.status, 1);
      assert.match(st.stderr, /stopped/);
      assert.equal(r.run(['kill', id, 'KILL']).status, 1);
      assert.equal(r.run(['delete', '-f', id]).status, 0);
      sleepMs(200);
      assert.ok(alive(impostor), 'the process that reused the pid was signalled');
    });
  });
}
