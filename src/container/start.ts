// `start`: release a created container's init, which is blocked opening exec.fifo for writing.
// Opening the fifo for reading lets its open complete; the byte it writes confirms it got there.
import { closeSync, openSync, readSync, unlinkSync, constants as FS } from 'node:fs';
import { OcirtError, errnoName, sysError } from '../errors.js';
import { faultPoint } from './fault.js';
import { deriveStatus, isSameProcess } from './status.js';
import { sleepMs } from '../sleep.js';
import type { StateStore } from './state-store.js';

export function startContainer(store: StateStore, id: string): void {
  const unlock = store.lock(id);
  try {
    faultPoint('start:locked');
    const state = store.read(id);
    const fifo = store.fifoPath(id);
    const status = deriveStatus(state, fifo);
    if (status !== 'created') {
      throw new OcirtError(`cannot start container "${id}": it is ${status}, not created`);
    }
    let fd: number;
    try {
      // O_NONBLOCK: never hang here if the init died between the status check and the open.
      fd = openSync(fifo, FS.O_RDONLY | FS.O_NONBLOCK);
    } catch (err) {
      throw sysError('open exec fifo', fifo, err);
    }
    faultPoint('start:released');
    try {
      const buf = Buffer.alloc(1);
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buf, 0, 1, null);
        } catch (err) {
          if (errnoName(err) !== 'EAGAIN') throw sysError('read exec fifo', fifo, err);
        }
        if (n === 1) break;
        if (!isSameProcess(state.pid, state.pidStartTime)) {
          throw new OcirtError(`cannot start container "${id}": its init process exited before it was started`);
        }
        sleepMs(1);
      }
      faultPoint('start:confirmed');
      unlinkSync(fifo);
      faultPoint('start:fifo-removed');
      const failure = awaitExec(fd);
      // the init could not run the program (its binary gone with the bundle, a cwd it may not
      // enter...): it said why on the fifo before it exited
      if (failure) throw new OcirtError(`cannot start container "${id}": ${failure}`);
    } finally {
      closeSync(fd);
    }
  } finally {
    unlock();
  }
}

/**
 * The init keeps its end of the fifo open until its execve closes it (CLOEXEC): reading on to
 * end-of-file returns once the user's program runs (or the init died), as runc's start does, so
 * that a signal sent right after `start` reaches that program. Bounded: an exec stuck in the
 * kernel must not hold the container's lock forever. Returns what the init wrote there: the reason
 * it failed before the execve, or "" (native/front/front.c await_exec does the same).
 */
function awaitExec(fd: number): string {
  const buf = Buffer.alloc(512);
  let text = '';
  for (let waited = 0; waited < 10_000; ) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if (errnoName(err) !== 'EAGAIN') break;
      sleepMs(1);
      waited++;
      continue;
    }
    if (n === 0) break;
    if (text.length < 4096) text += buf.subarray(0, n).toString('utf8');
  }
  return text.trim();
}
