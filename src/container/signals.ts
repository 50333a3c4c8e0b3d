// Signal arguments as runc takes them: KILL, SIGKILL, 9, RTMIN+3, SIGRTMAX-1, and 0 (no signal).
import { ArgumentError } from '../errors.js';
import { SIGNALS, SIGRTMAX, SIGRTMIN } from '../linux/constants.js';

export function parseSignal(raw: string | number | undefined): number {
  if (raw === undefined || raw === '') return SIGNALS.SIGTERM;
  const text = String(raw).trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    // 0 sends nothing: engines use `kill ID 0` as a liveness check, as kill(2) allows and runc accepts
    if (n >= 0 && n <= SIGRTMAX) return n;
    throw new ArgumentError(`invalid signal number ${text}: expected 0..${SIGRTMAX}`);
  }
  const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  if (name in SIGNALS) return SIGNALS[name];
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const off = rt[3] ? Number(rt[3]) * (rt[2] === '-' ? -1 : 1) : 0;
    const n = base + off;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new ArgumentError(`unknown signal "${text}": use a name such as TERM, SIGKILL, RTMIN+1 or a number`);
}
