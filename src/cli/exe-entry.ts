// Entry of the single executable (`npm run build:exe` -> dist/ocirt-exe, compiled by Bun from the
// CommonJS bundle scripts/build-exe.mjs makes of this file). The addon is embedded: Bun embeds a
// .node file in the executable when it is required with a static path, so it is named here and
// handed to src/native.ts as a loader through a global (native.ts reads EMBEDDED_LOADER; importing
// native.ts here would load node:module, node:url and node:util for every command). It is still
// loaded only by the commands that need it: Bun extracts and dlopens it on that first require.
// The Node entry (dist/ocirt.cjs) finds the addon on disk instead (findAddon()). The commands and
// yargs are separate files of the executable (scripts/cjs-bundles.mjs), required on demand.
declare const require: (id: string) => unknown;

(globalThis as Record<string, unknown>).__ocirtEmbeddedAddon = () => require('../../build/Release/ocirt.node');

// process.stdout/process.stderr: Bun builds these node:stream objects on first use (about 8 ms:
// node:stream and fs streams get loaded). Assigned before first use, they are replaced by
// writers that write(2) the fd synchronously; anything else asked of them (isTTY, columns, on...)
// builds a real stream on the same fd (tty.WriteStream or fs.WriteStream) and forwards to it.
lightStdio(1, 'stdout');
lightStdio(2, 'stderr');
void import('./main.js');

function lightStdio(fd: 1 | 2, name: 'stdout' | 'stderr'): void {
  const fs = require('node:fs') as typeof import('node:fs');
  let real: object | undefined;
  const materialize = (): object => {
    if (!real) {
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
        if (code === 'EPIPE') break;
        throw err;
      }
    }
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  };
  (process as unknown as Record<string, unknown>)[name] = new Proxy(
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
}
