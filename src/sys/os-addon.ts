// node:os for the Bun executable: src/ uses only userInfo() (create records the owner), and
// loading Bun's node:os costs about 0.8 ms per start. scripts/build-exe.mjs points src/'s
// `node:os` imports here; the Node entry keeps the real module.

/** The addon's passwd lookup (native/fs.cc). */
export interface OsAddon {
  userInfo(): { uid: number; gid: number; username: string; homedir: string; shell: string | null };
}

const EMBEDDED_LOADER = '__ocirtEmbeddedAddon'; // set by src/cli/exe-entry.ts
let addon: OsAddon | undefined;

/** Tests hand in the addon they loaded from build/Release. */
export function setOsAddon(a: OsAddon): void {
  addon = a;
}

/** As os.userInfo(): the effective user's passwd entry; throws if there is none. */
export function userInfo(): { uid: number; gid: number; username: string; homedir: string; shell: string | null } {
  if (!addon) {
    const load = (globalThis as Record<string, unknown>)[EMBEDDED_LOADER];
    if (typeof load !== 'function') throw new Error('os-addon: no addon (only the executable build uses this module)');
    addon = (load as () => OsAddon)();
  }
  return addon.userInfo();
}
