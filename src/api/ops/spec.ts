import { defaultSpec } from '../../spec/defaults.js';
import type { Spec } from '../../spec/types.js';

/** runc's default config (`ocirt spec`); rootless: the caller's ids mapped to root in a user namespace. */
export function spec(o: { rootless?: boolean } = {}): Spec {
  const rootless = o.rootless === true;
  return defaultSpec({
    rootless,
    uid: rootless ? (process.geteuid?.() ?? 0) : 0,
    gid: rootless ? (process.getegid?.() ?? 0) : 0,
  });
}
