// The executable's addon. src/cli/exe-entry.ts installs a loader for the .node file Bun embeds;
// src/native.ts and the node builtin stand-ins here (fs-addon.ts, os-addon.ts) load through it.
// A global rather than a module variable: every command bundle carries its own copy of the
// modules that read it. No imports: the stand-ins must not pull in what they replace.

const LOADER = '__ocirtEmbeddedAddon';

export function installEmbeddedAddon(load: () => unknown): void {
  (globalThis as Record<string, unknown>)[LOADER] = load;
}

/** The embedded addon (loaded on first call), or undefined outside the executable. */
export function embeddedAddon<T>(): T | undefined {
  const load = (globalThis as Record<string, unknown>)[LOADER];
  return typeof load === 'function' ? (load as () => T)() : undefined;
}

/** For the stand-ins, which only the executable's build uses (tests install the addon first). */
export function requireEmbeddedAddon<T>(who: string): T {
  const a = embeddedAddon<T>();
  if (a === undefined) throw new Error(`${who}: no embedded addon (only the executable build uses this module)`);
  return a;
}
