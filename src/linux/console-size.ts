// process.consoleSize as the plan section native/init/console.c reads: the pty the init makes gets
// this size before the program runs (a relaying runtime then sets its own terminal's size).
import type { LaunchPlan } from './plan.js';
import type { Writer } from './encode.js';

/** Section OCIRT_SECTION_CONSOLE_SIZE: u32 height (rows), u32 width (columns). */
export function encodeConsoleSizeSection(plan: LaunchPlan, w: Writer): boolean {
  const size = plan.process.consoleSize;
  if (!plan.process.terminal || !size) return false;
  w.u32(size.height, 'process.consoleSize.height');
  w.u32(size.width, 'process.consoleSize.width');
  return true;
}
