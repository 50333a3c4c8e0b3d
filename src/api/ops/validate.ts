import { checkBundle, checkConfigValue, type Problem } from '../../spec/bundle.js';
import { ArgumentError } from '../../errors.js';

export type { Problem } from '../../spec/bundle.js';
export { formatProblems } from '../../spec/bundle.js';

/** Where a container's config comes from: a bundle directory, or the config as a value and its rootfs apart. */
export type BundleSource = string | { config: unknown; rootfs: string };

export interface Validation {
  /** config.json's path (for a config value: 'config') */
  configPath: string;
  /** every problem, each with its JSON pointer, line:column where known, and what is wrong; empty: valid */
  problems: Problem[];
}

/** Every problem of the bundle at once, as data (create throws them as a BundleError). */
export function validate(source: BundleSource): Validation {
  const r = typeof source === 'string' ? checkBundle(source) : checkConfigValue(source.config, checkedRootfs(source.rootfs));
  return { configPath: r.configPath, problems: r.problems };
}

export function checkedRootfs(rootfs: unknown): string {
  if (typeof rootfs !== 'string' || rootfs === '')
    throw new ArgumentError(`rootfs: expected the root filesystem's directory, got ${JSON.stringify(rootfs)}`);
  return rootfs;
}

export function checkedSource(source: unknown): BundleSource {
  if (typeof source === 'string' && source !== '') return source;
  if (typeof source === 'object' && source !== null && 'config' in source && 'rootfs' in source) {
    const s = source as { config: unknown; rootfs: unknown };
    return { config: s.config, rootfs: checkedRootfs(s.rootfs) };
  }
  throw new ArgumentError('bundle: expected a bundle directory or { config, rootfs }');
}
