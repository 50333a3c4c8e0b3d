// The plan of an exec'd process, decided in one place: `exec` (exec.ts) launches it, and create
// derives the exec template (exec-template.ts) from it for the native front end.
import { buildExecPlan } from '../linux/plan-builder.js';
import type { LaunchPlan, NamespaceType } from '../linux/plan.js';
import type { Spec } from '../spec/types.js';
import type { ContainerRecord } from './state-store.js';

export interface ExecPlanInput {
  record: ContainerRecord;
  /** the container's config with the process to run (exec-process.ts) */
  config: Spec;
  /** the container's rootfs, as recorded in its state */
  rootfs: string;
  preserveFds: number;
  /** the console socket's description (used when the process has a terminal) */
  consoleSocket?: string;
  /** the size of the terminal ocirt relays the pty to (PlanOptions.terminalSize) */
  terminalSize?: { height: number; width: number };
  isOwnNamespace: (path: string, type: NamespaceType) => boolean;
  warn?: (msg: string) => void;
}

export function planExec(i: ExecPlanInput): LaunchPlan {
  const opts = {
    rootfs: i.rootfs,
    isOwnNamespace: i.isOwnNamespace,
    noNewKeyring: i.record.noNewKeyring,
    preserveFds: i.preserveFds,
    ...(i.consoleSocket !== undefined ? { consoleSocket: i.consoleSocket } : {}),
    ...(i.terminalSize ? { terminalSize: i.terminalSize } : {}),
  };
  // create reported what its config asks for and no process gets: an exec says only what is new
  const reported = new Set<string>();
  try {
    buildExecPlan(i.record.config, { ...opts, consoleSocket: opts.consoleSocket ?? '', warn: (m) => reported.add(m) });
  } catch {
    // the config's own process is not the one to run: only its warnings matter here
  }
  return buildExecPlan(i.config, { ...opts, warn: (m) => reported.has(m) || i.warn?.(m) });
}
