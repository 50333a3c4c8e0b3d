// `start`: release a created container's init, which is blocked opening exec.fifo for writing.
// Opening the fifo for reading lets its open complete; the byte it writes confirms it got there.
// Then, as runc's start, wait until the user's program runs, and run the poststart hooks.
import { closeSync, openSync, readSync, unlinkSync, constants as FS } from 'node:fs';
import { ContainerError, OcirtError, errnoName, sysError } from '../errors.js';
import { faultPoint } from './fault.js';
import { SILENT, type Logger } from '../logger.js';
import { destroyContainer } from './delete.js';
import { runHooks, runHooksWarning, type HookRun } from './hooks.js';
import { toRuntimeState } from './runtime-state.js';
import { deriveStatus, isSameProcess } from './status.js';
import { sleepMs } from '../sleep.js';
import type { StateStore, StoredState } from './state-store.js';
import type { Hooks } from '../spec/types.js';

/** The bytes the init writes on exec.fifo (native/plan_format.h, OCIRT_FIFO_*). */
const FIFO_HOOK_FAILED = 'H';
const FIFO_FAILED = 'E';

export function startContainer(store: StateStore, id: string, log: Logger = SILENT): void {
  const unlock = store.lock(id);
  const hookRun: HookRun = { scratchDir: store.root, log };
  let state: StoredState;
  let hooks: Hooks | undefined;
  let failure: OcirtError | undefined;
  try {
    faultPoint('start:locked');
    state = store.read(id);
    const fifo = store.fifoPath(id);
    const status = deriveStatus(state, fifo);
    if (status !== 'created') {
      throw new ContainerError('wrong-state', id, `cannot start container "${id}": it is ${status}, not created`, status);
    }
    hooks = store.readHooks(id);
    let fd: number;
    try {
      // O_NONBLOCK: never hang here if the init died between the status check and the open.
      fd = openSync(fifo, FS.O_RDONLY | FS.O_NONBLOCK);
    } catch (err) {
      throw sysError('open exec fifo', fifo, err);
    }
    faultPoint('start:released');
    let report: string;
    try {
      const buf = Buffer.alloc(1);
      const readByte = (): boolean => {
        try {
          return readSync(fd, buf, 0, 1, null) === 1;
        } catch (err) {
          if (errnoName(err) !== 'EAGAIN') throw sysError('read exec fifo', fifo, err);
          return false;
        }
      };
      for (;;) {
        if (readByte()) break;
        // Read again once the init is gone: between the read above and this check it may have
        // written its byte, exec'd a short program (runtime-tools runs `true`) and exited.
        if (!isSameProcess(state.pid, state.pidStartTime) && !readByte()) {
          throw new ContainerError(
            'wrong-state',
            id,
            `cannot start container "${id}": its init process exited before it was started`,
            'stopped',
          );
        }
        sleepMs(1);
      }
      faultPoint('start:confirmed');
      unlinkSync(fifo);
      faultPoint('start:fifo-removed');
      log.debug(`start ${id}: init ${state.pid} released`);
      // startContainer hooks run in between, as long as their timeouts let them
      report = awaitExec(fd, hooks === undefined);
    } finally {
      closeSync(fd);
    }
    if (report.startsWith(FIFO_HOOK_FAILED)) {
      // runtime.md "Lifecycle" step 7: stop the container, continue at step 12 (destroy, poststop)
      const [index, what] = splitOnce(report.slice(1), '\t');
      failure = new OcirtError(`config.json /hooks/startContainer/${index}: startContainer hook ${what}`);
      destroyContainer(store, state, deriveStatus(state, fifo));
    } else if (report.startsWith(FIFO_FAILED)) {
      // the program could not be exec'd: the container has stopped (status 127), delete is the engine's
      throw new OcirtError(report.slice(1));
    } else {
      log.debug(`start ${id}: the program runs`);
      try {
        // step 9: after the program runs, before start returns; a failure stops and destroys it
        runHooks('poststart', hooks?.poststart, toRuntimeState(state, 'running'), hookRun);
      } catch (err) {
        failure = err as OcirtError;
        destroyContainer(store, state, deriveStatus(state, fifo));
      }
    }
  } finally {
    unlock();
  }
  if (failure) {
    runHooksWarning('poststop', hooks?.poststop, toRuntimeState(state, 'stopped'), hookRun);
    throw failure;
  }
}

/**
 * The init keeps its end of the fifo open until its execve closes it (CLOEXEC): reading on to
 * end-of-file returns once the user's program runs (or the init died), as runc's start does, so
 * that a signal sent right after `start` reaches that program. What the init wrote before
 * end-of-file is its failure report (native/plan_format.h, OCIRT_FIFO_*); "" when it exec'd.
 * `bounded` (no startContainer hook may run first): at most 10 s without news, so that an exec stuck
 * in the kernel cannot hold the container's lock forever. The init's death is end-of-file too.
 */
function awaitExec(fd: number, bounded: boolean): string {
  const buf = Buffer.alloc(4096);
  const chunks: Buffer[] = [];
  for (let idle = 0; ; ) {
    let n = -1;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if (errnoName(err) !== 'EAGAIN') break;
    }
    if (n === 0) break;
    if (n > 0) {
      chunks.push(Buffer.from(buf.subarray(0, n)));
      idle = 0;
      continue;
    }
    if (bounded && ++idle >= 10_000) break;
    sleepMs(1);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? ['?', s] : [s.slice(0, i), s.slice(i + 1)];
}
