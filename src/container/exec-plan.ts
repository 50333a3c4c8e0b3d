// The plan of an exec'd process, decided in one place: `exec` (exec.ts) launches it, and create
// derives the exec template (exec-template.ts) from it for the native front end.
import { buildExecPlan, processWarnings, type HostFacts } from '../linux/plan-builder.js';
import type { LaunchPlan, NamespaceType } from '../linux/plan.js';
import type { Spec } from '../spec/types.js';
import { integersOf, type ContainerRecord } from './state-store.js';

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
  host: HostFacts;
  warn?: (msg: string) => void;
  debug?: (msg: string) => void;
}

export function planExec(i: ExecPlanInput): LaunchPlan {
  const exactIntegers = integersOf(i.record);
  const opts = {
    rootfs: i.rootfs,
    isOwnNamespace: i.isOwnNamespace,
    noNewKeyring: i.record.noNewKeyring,
    preserveFds: i.preserveFds,
    ...(i.consoleSocket !== undefined ? { consoleSocket: i.consoleSocket } : {}),
    ...(i.terminalSize ? { terminalSize: i.terminalSize } : {}),
    ...(exactIntegers ? { exactIntegers } : {}),
    ...(i.debug ? { debug: i.debug } : {}),
  };
  // create reported what its config asks for and no process gets: an exec says only what is new
  const reported = new Set(processWarnings(i.record.config));
  return buildExecPlan(i.config, { ...opts, warn: (m) => reported.has(m) || i.warn?.(m) }, i.host);
}
