import { ArgumentError, BundleError } from '../../errors.js';
import { rootlessCgroups } from '../../container/rootless.js';
import { validateId } from '../../container/state-store.js';
import { updateContainer } from '../../container/update.js';
import { validateConfig } from '../../spec/validate.js';
import type { LinuxResources } from '../../spec/types.js';
import type { RuntimeContext } from '../context.js';

/** Changes a container's linux.resources (runc's update); `resources` as checkResources returns it, or made from runc's flags. */
export function update(ctx: RuntimeContext, id: string, resources: LinuxResources): void {
  updateContainer(ctx.store, validateId(id), resources, {
    rootless: rootlessCgroups(ctx.rootless),
    warn: (m) => ctx.log.warn(m),
  });
}

/** A linux.resources value, checked against the runtime-spec schema and ocirt's checks; `name` says where it came from. */
export function checkResources(value: unknown, name: string): LinuxResources {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentError(`${name}: expected a linux.resources object, such as {"memory": {"limit": 104857600}}`);
  }
  // the resources as part of a minimal config: the config's own validator and messages
  const prefix = '/linux/resources';
  const problems = validateConfig({ ociVersion: '1.3.0', linux: { resources: value } })
    .filter((p) => p.pointer.startsWith(prefix))
    .map((p) => ({ ...p, pointer: p.pointer.slice(prefix.length) }));
  if (problems.length) {
    throw new BundleError(`${name}: ${problems.map((p) => `${p.pointer || '/'}: ${p.message}`).join('; ')}`, name, problems);
  }
  return value as LinuxResources;
}
