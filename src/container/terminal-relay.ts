// `run` in the foreground with process.terminal and no --console-socket: ocirt holds the pty
// master and relays it to its own stdio (raw mode when that is a terminal), as runc does.
import { writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import * as native from '../native.js';

export interface Relay {
  /** stop relaying once the container has exited and its output is drained */
  finish(): Promise<void>;
}

export function startRelay(listenFd: number): Relay {
  const conn = native.acceptFd(listenFd);
  let master: number;
  try {
    master = native.recvFd(conn).fd;
  } finally {
    native.closeFd(conn);
    native.closeFd(listenFd);
  }
  const resize = () => {
    if (process.stdout.isTTY) {
      try {
        native.setWinsize(master, process.stdout.rows, process.stdout.columns);
      } catch {
        // the pty is gone: the container exited
      }
    }
  };
  resize();
  process.on('SIGWINCH', resize);

  const stdinRaw = process.stdin.isTTY === true;
  if (stdinRaw) process.stdin.setRawMode(true);
  const onInput = (chunk: Buffer) => {
    try {
      writeSync(master, chunk);
    } catch {
      // the container closed its terminal; its exit is reported by waitExit
    }
  };
  process.stdin.on('data', onInput);

  const out = new ReadStream(master);
  const drained = new Promise<void>((resolve) => {
    out.on('data', (d: Buffer) => process.stdout.write(d));
    // EIO once the last slave fd is closed: the container is gone and its output read.
    out.on('error', () => resolve());
    out.on('end', () => resolve());
    out.on('close', () => resolve());
  });

  return {
    async finish() {
      await Promise.race([drained, new Promise((r) => setTimeout(r, 500))]);
      process.off('SIGWINCH', resize);
      process.stdin.off('data', onInput);
      process.stdin.pause();
      if (stdinRaw) process.stdin.setRawMode(false);
      out.destroy();
    },
  };
}
