// node:os for the Bun executable: src/ uses only userInfo() (create records the owner), and
// loading Bun's node:os costs about 0.8 ms per start. scripts/build-exe.mjs points src/'s
// `node:os` imports here; the Node entry keeps the real module.
import { requireEmbeddedAddon } from './embedded-addon.js';

/** The addon's passwd lookup (native/sys.cc). */
export interface OsAddon {
  userInfo(): { uid: number; gid: number; username: string; homedir: string; shell: string | null };
}

let addon: OsAddon | undefined;

/** As os.userInfo(): the effective user's passwd entry; throws if there is none. */
export function userInfo(): { uid: number; gid: number; username: string; homedir: string; shell: string | null } {
  addon ??= requireEmbeddedAddon<OsAddon>('os-addon');
  return addon.userInfo();
}
