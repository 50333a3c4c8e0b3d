// A synchronous pause for the short waits of one-shot commands (a process to exit, a lock to
// free), where an event loop turn would buy nothing.
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
