// linux.cgroupsPath -> the container's directory in each hierarchy, as runc reads it: an absolute
// path is taken from the hierarchy's root, a relative one from the runtime's own cgroup, and
// without one the container gets "<runtime's own cgroup>/<id>". Pure.
import { posix as path } from 'node:path';
import { OcirtError } from '../errors.js';
import type { Hierarchy } from './host.js';

/** The systemd "slice:prefix:name" form, which only the systemd cgroup driver reads. */
function checkCgroupsPath(cgroupsPath: string | undefined, id: string): void {
  if (cgroupsPath?.includes(':') && !cgroupsPath.startsWith('/')) {
    throw new OcirtError(
      `config.json: /linux/cgroupsPath "${cgroupsPath}" is in systemd's slice:prefix:name form, which needs --systemd-cgroup (not supported yet); use a path such as /ocirt/${id}`,
    );
  }
}

/** Where the container's cgroup is in this hierarchy, as a directory on the host. */
export function containerDir(h: Hierarchy, cgroupsPath: string | undefined, id: string): string {
  checkCgroupsPath(cgroupsPath, id);
  const field = cgroupsPath === undefined ? `the default cgroup path (<runtime's cgroup>/${id})` : `/linux/cgroupsPath "${cgroupsPath}"`;
  let rel: string;
  if (cgroupsPath?.startsWith('/')) {
    rel = path.normalize(cgroupsPath);
  } else {
    // the runtime's own cgroup as seen through this mount
    const own = h.own;
    const root = h.mountRoot.replace(/\/+$/, '');
    if (own !== root && !own.startsWith(root + '/')) {
      throw new OcirtError(
        `config.json: ${field}: ocirt's own cgroup ${own} is outside the part of the hierarchy mounted at ${h.mountPoint} (${h.mountRoot}); use an absolute cgroupsPath`,
      );
    }
    rel = path.normalize('/' + own.slice(root.length) + '/' + (cgroupsPath || id));
  }
  rel = rel.replace(/\/+$/, '');
  if (rel === '' || rel === '/') {
    throw new OcirtError(`config.json: ${field} names the root cgroup of ${h.mountPoint}: a container needs a cgroup of its own`);
  }
  return h.mountPoint.replace(/\/+$/, '') + rel;
}
