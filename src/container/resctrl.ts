// linux.intelRdt in the resctrl filesystem: the container's group found or made, its schemata
// written or checked, the init's pid written to its tasks (before "go": the program never runs
// outside it), a MON group for monitoring; and everything made here removed at delete.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcirtError, sysError } from '../errors.js';
import type { RdtPlan } from '../linux/intel-rdt.js';

/** runtime-spec: no resctrl mounted is an error, named before anything is made. */
export function requireResctrl(root: string | undefined): string {
  if (!root) {
    throw new OcirtError(
      'config.json /linux/intelRdt: Intel RDT is not supported on this host: no resctrl filesystem is mounted (it needs RDT or AMD QoS hardware and `mount -t resctrl resctrl /sys/fs/resctrl`): remove intelRdt',
    );
  }
  return root;
}

/** A schemata line's resource and its settings, for comparing what a group has ("L3:0=7ff;1=7ff"). */
function parseLine(line: string): [string, string] {
  const i = line.indexOf(':');
  return [
    line.slice(0, i).trim().toUpperCase(),
    line
      .slice(i + 1)
      .replace(/\s+/g, '')
      .toLowerCase(),
  ];
}

/**
 * Joins pid to the plan's group. Returns the directories it made (to remove at delete), in the
 * order to remove them.
 */
export function applyRdt(plan: RdtPlan, root: string, pid: number, id: string): string[] {
  const made: string[] = [];
  const dir = plan.group ? join(root, plan.group) : root;
  try {
    if (!existsSync(dir)) {
      if (plan.preconfigured && plan.schemata.length === 0) {
        throw new OcirtError(
          `config.json /linux/intelRdt/closID: the resctrl group ${dir} does not exist: create it, or give schemata for ocirt to create it`,
        );
      }
      try {
        mkdirSync(dir);
      } catch (err) {
        throw sysError('config.json /linux/intelRdt: create the resctrl group', dir, err);
      }
      made.push(dir);
      for (const line of plan.schemata) {
        try {
          writeFileSync(join(dir, 'schemata'), `${line}\n`);
        } catch (err) {
          throw sysError(`config.json /linux/intelRdt: write ${JSON.stringify(line)} to`, join(dir, 'schemata'), err);
        }
      }
    } else if (plan.schemata.length) {
      // an existing group must already have what the config asks for
      const have = new Map(
        readFileSync(join(dir, 'schemata'), 'utf8')
          .split('\n')
          .filter((l) => l.includes(':'))
          .map(parseLine),
      );
      for (const line of plan.schemata) {
        const [res, want] = parseLine(line);
        if (have.get(res) !== want) {
          throw new OcirtError(
            `config.json /linux/intelRdt: the resctrl group ${dir} has ${res}:${have.get(res) ?? '(none)'}, the config asks for ${line}: use another closID, or make them agree`,
          );
        }
      }
    }
    writeTask(dir, pid);
    if (plan.monitoring) {
      const mon = join(dir, 'mon_groups', id);
      try {
        mkdirSync(mon);
      } catch (err) {
        throw sysError('config.json /linux/intelRdt/enableMonitoring: create the MON group', mon, err);
      }
      made.push(mon);
      writeTask(mon, pid);
    }
    // the MON group lives in its CLOS group: it goes first
    return made.reverse();
  } catch (err) {
    removeRdt([...made].reverse());
    throw err;
  }
}

function writeTask(dir: string, pid: number): void {
  try {
    writeFileSync(join(dir, 'tasks'), String(pid));
  } catch (err) {
    throw sysError(`config.json /linux/intelRdt: add pid ${pid} to`, join(dir, 'tasks'), err);
  }
}

/** rmdir of what applyRdt made (the kernel moves any task left back to the parent group). */
export function removeRdt(dirs: string[]): void {
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {
      // gone already, or the filesystem was unmounted
    }
  }
}
