// Reading and writing cgroup files, and carrying out a resource plan (plan.ts) on directories.
// Errors name the config field, the file, the value and the errno, so the one line an engine
// shows says what to change.
import { closeSync, openSync, readFileSync, writeSync, constants as FS } from 'node:fs';
import { OcirtError, errnoName, sysError } from '../errors.js';
import type { CgroupWrite } from './plan.js';

/** The file's text, or undefined when it cannot be read (gone, no such controller). */
export function readCg(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, ...) as numbers. */
export function readKeyed(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of (readCg(path) ?? '').split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** A single number (usage_in_bytes, pids.current); "max" reads as undefined. */
export function readNumber(path: string): number | undefined {
  const t = readCg(path)?.trim();
  return t !== undefined && /^-?\d+$/.test(t) ? Number(t) : undefined;
}

/**
 * One write(2) of the value to an existing cgroup file. Never O_CREAT: on cgroupfs that turns a
 * missing file (an unsupported knob) into EACCES instead of ENOENT.
 */
export function writeExisting(path: string, value: string): void {
  const fd = openSync(path, FS.O_WRONLY);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}

export function writeCg(dir: string, file: string, value: string, what: string): void {
  try {
    writeExisting(`${dir}/${file}`, value);
  } catch (err) {
    throw sysError(`${what}: write ${JSON.stringify(value)} to ${file} in cgroup`, dir, err);
  }
}

export interface WriteTarget {
  /** the directory holding a controller's files, or undefined when the container has none */
  dirFor(controller: string): string | undefined;
  /** why there is no directory for this controller: where it was looked for */
  missing(controller: string): string;
}

/**
 * Writes the plan in order. A candidate file that does not exist is skipped for the next one;
 * when none exists the write's ifMissing decides. EINVAL on a write marked retryLaterOnEinval is
 * tried again after the others (a cpu period before the quota that makes it valid).
 */
export function applyWrites(target: WriteTarget, writes: CgroupWrite[], warn: (msg: string) => void): void {
  const later: CgroupWrite[] = [];
  const run = (w: CgroupWrite, retrying: boolean) => {
    const dir = target.dirFor(w.controller);
    if (dir === undefined) throw new OcirtError(`cannot apply ${w.field}: ${target.missing(w.controller)}`);
    for (const c of w.candidates) {
      try {
        writeExisting(`${dir}/${c.file}`, c.value);
        return;
      } catch (err) {
        const code = errnoName(err);
        if (code === 'ENOENT') continue;
        if (code === 'EINVAL' && w.retryLaterOnEinval && !retrying) {
          later.push(w);
          return;
        }
        throw sysError(`cannot apply ${w.field}: write ${JSON.stringify(c.value)} to ${c.file} in cgroup`, dir, err);
      }
    }
    const files = w.candidates.map((c) => c.file).join(' or ');
    if (w.ifMissing === 'skip') return;
    if (typeof w.ifMissing === 'object') {
      warn(w.ifMissing.warn);
      return;
    }
    throw new OcirtError(
      `cannot apply ${w.field}: this kernel has no ${files} in ${dir} (the ${w.controller} controller does not support it here)`,
    );
  };
  for (const w of writes) run(w, false);
  for (const w of later) run(w, true);
}
