// process.stdout/process.stderr without their stream objects. Both runtimes build a stream on
// first use: Node a SyncWriteStream for a file, a tty.WriteStream or a net.Socket for a pipe (about
// 10 ms: net, stream and tty get loaded; `state` and every warning pay it), Bun node:stream objects
// (about 8 ms). Installed before first use, they are replaced by writers that write(2) the fd
// synchronously; anything else asked of them (isTTY, columns, on...) builds the real stream on the
// same fd (tty.WriteStream or fs.WriteStream) and forwards to it.
import * as fs from 'node:fs';

declare const require: (id: string) => unknown;

const INSTALLED = '__ocirtLightStdio';
const STREAMS_BUILT = '__ocirtStdioStreamsBuilt';

/**
 * Whether a real stream was built for stdout or stderr (yargs' help and errors do: they ask for
 * the terminal's width). Its writes may still be pending, so the process must then exit the
 * runtime's orderly way, which flushes them.
 */
export function stdioStreamsBuilt(): boolean {
  return (globalThis as Record<string, unknown>)[STREAMS_BUILT] === true;
}

export function installLightStdio(): void {
  const g = globalThis as Record<string, unknown>;
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  lightStdio(1, 'stdout');
  lightStdio(2, 'stderr');
}

function lightStdio(fd: 1 | 2, name: 'stdout' | 'stderr'): void {
  let real: object | undefined;
  const materialize = (): object => {
    if (!real) {
      (globalThis as Record<string, unknown>)[STREAMS_BUILT] = true;
      const tty = require('node:tty') as typeof import('node:tty');
      real = tty.isatty(fd) ? new tty.WriteStream(fd) : fs.createWriteStream('', { fd, autoClose: false });
    }
    return real;
  };
  const write = (chunk: string | Uint8Array, encoding?: unknown, cb?: unknown): boolean => {
    if (real) return (real as NodeJS.WriteStream).write(chunk, encoding as BufferEncoding, cb as () => void);
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk;
    while (buf.length > 0) {
      try {
        buf = buf.subarray(fs.writeSync(fd, buf));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        // a closed pipe, or a stdio that is closed or read-only (containerd's null io gives the
        // runtime one read-only /dev/null): the output goes nowhere, the command does not fail
        if (code === 'EPIPE' || code === 'EBADF') break;
        throw err;
      }
    }
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  };
  const proxy = new Proxy(
    {},
    {
      get: (_t, k) => {
        if (k === 'write') return write;
        if (k === 'fd') return fd;
        const r = materialize();
        const v = Reflect.get(r, k, r) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
      },
      set: (_t, k, v) => Reflect.set(materialize(), k, v),
      has: (_t, k) => k in materialize(),
    },
  );
  if (process.versions.bun) {
    // a plain assignment: Bun's defineProperty on process.stdout builds the stream first (~20 ms)
    (process as unknown as Record<string, unknown>)[name] = proxy;
  } else {
    // Node: an accessor without a setter
    Object.defineProperty(process, name, { value: proxy, writable: true, configurable: true, enumerable: true });
  }
}
