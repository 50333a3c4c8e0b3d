// The --log file: runc writes one line per message, as text or JSON lines
// {"level","msg","time"}; engines (conmon, containerd's shim) read the last error from it.
import { appendFileSync } from 'node:fs';
import type { Logger } from '../logger.js';

export type { Logger } from '../logger.js';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type LogFormat = 'text' | 'json';

export function createLogger(opts: { path?: string; format: LogFormat; debug: boolean }): Logger {
  const write = (level: LogLevel, msg: string) => {
    const time = new Date().toISOString();
    if (!opts.path) {
      // Errors are printed by main.ts itself; warnings and debug lines go to stderr as runc's do.
      if (level === 'debug' || level === 'warning') process.stderr.write(`ocirt: ${level}: ${msg}\n`);
      return;
    }
    const line =
      opts.format === 'json' ? JSON.stringify({ level, msg, time }) + '\n' : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    try {
      appendFileSync(opts.path, line, { mode: 0o600 });
    } catch {
      // A log file we cannot write must not turn a successful operation into a failure.
    }
  };
  return {
    // without --debug a debug line costs one empty call
    debug: opts.debug ? (m) => write('debug', m) : () => {},
    info: (m) => write('info', m),
    warn: (m) => write('warning', m),
    error: (m) => write('error', m),
  };
}
