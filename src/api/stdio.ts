// A process's stdio as the API's caller asks for it: the caller's own fds ('inherit', as the CLI
// does), /dev/null ('ignore'), an fd of the caller's, or a pipe ('pipe') whose other end becomes a
// stream on the returned handle. node:net (the streams) is loaded only when a pipe is asked for.
import { openSync, closeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { ArgumentError } from '../errors.js';
import * as native from '../native.js';

export type StdioEntry = 'inherit' | 'pipe' | 'ignore' | number;
/** One choice for all three, or one each for stdin, stdout and stderr. */
export type StdioOption = 'inherit' | 'pipe' | 'ignore' | readonly [StdioEntry, StdioEntry, StdioEntry];

export interface StdioStreams {
  /** writable: the process's stdin (end() it to give the process end-of-file) */
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
}

export interface PreparedStdio {
  /** the process's fds 0, 1, 2 for the launch (-1: inherit); undefined when all inherit */
  fds: [number, number, number] | undefined;
  /** once the process holds its ends: ours closed, the pipes' other ends as streams */
  launched(): StdioStreams;
  /** the launch failed: every fd made here closed */
  abort(): void;
}

const NONE: StdioStreams = { stdin: null, stdout: null, stderr: null };

export function prepareStdio(option: StdioOption | undefined): PreparedStdio {
  const entries = normalize(option ?? 'inherit');
  if (entries.every((e) => e === 'inherit')) return { fds: undefined, launched: () => NONE, abort: () => {} };
  const theirs: number[] = [];
  const ours: (number | undefined)[] = [undefined, undefined, undefined];
  const fds: [number, number, number] = [-1, -1, -1];
  try {
    entries.forEach((e, i) => {
      if (e === 'inherit') return;
      if (typeof e === 'number') {
        fds[i] = e;
      } else if (e === 'ignore') {
        const fd = openSync('/dev/null', i === 0 ? 'r' : 'w');
        theirs.push(fd);
        fds[i] = fd;
      } else {
        const [r, w] = native.pipe();
        const [child, parent] = i === 0 ? [r, w] : [w, r];
        theirs.push(child);
        ours[i] = parent;
        fds[i] = child;
      }
    });
  } catch (err) {
    for (const fd of [...theirs, ...ours]) if (fd !== undefined) closeSync(fd);
    throw err;
  }
  const closeTheirs = () => {
    for (const fd of theirs.splice(0)) closeSync(fd);
  };
  return {
    fds,
    launched() {
      closeTheirs();
      if (ours.every((fd) => fd === undefined)) return NONE;
      const { Socket } = process.getBuiltinModule('node:net');
      const wrap = (fd: number | undefined, readable: boolean) =>
        fd === undefined ? null : new Socket({ fd, readable, writable: !readable });
      return { stdin: wrap(ours[0], false), stdout: wrap(ours[1], true), stderr: wrap(ours[2], true) };
    },
    abort() {
      closeTheirs();
      for (const fd of ours) if (fd !== undefined) closeSync(fd);
    },
  };
}

function normalize(o: StdioOption): StdioEntry[] {
  const entries: StdioEntry[] = typeof o === 'string' ? [o, o, o] : [...o];
  if (entries.length !== 3)
    throw new ArgumentError(`stdio: expected one entry for each of stdin, stdout and stderr, got ${entries.length}`);
  for (const e of entries) {
    const ok = e === 'inherit' || e === 'pipe' || e === 'ignore' || (typeof e === 'number' && Number.isInteger(e) && e >= 0);
    if (!ok) throw new ArgumentError(`stdio: ${JSON.stringify(e)} is not 'inherit', 'pipe', 'ignore' or an open fd`);
  }
  return entries;
}

/** Everything a readable stream gives until its end, as one buffer. */
export function collect(stream: Readable | null): Promise<Buffer | undefined> {
  if (!stream) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
