// ocirt killed with SIGKILL at every step of create, start, exec and delete (src/container/fault.ts's
// OCIRT_FAULT), then `delete --force`: it must succeed and leave nothing (state directory, lock,
// cgroup in any hierarchy, process, mount, descriptor into the state root or the bundle). The
// container sets limits, so that on a v1/v2 hybrid host it has a directory in several
// hierarchies. Root and rootless.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  IS_ROOT,
  PROBE,
  hostSnapshot,
  json,
  makeBundle,
  newId,
  runner,
  testUser,
  type Bundle,
  type Runner,
  type User,
} from '../helpers/containers.ts';
import { NOTHING, residue } from '../helpers/leaks.ts';
import { FAULT_POINTS, type FaultPoint } from '../../src/container/fault.ts';
import { existsSync } from 'node:fs';

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : false;

/** ocirt with OCIRT_FAULT set; output into files (a created init keeps the runtime's stdio). */
function runFaulted(r: Runner, args: string[], point: FaultPoint): { status: number | null; signal: string | null; stderr: string } {
  const { argv, env } = r.command(args);
  const errFile = join(r.root, `.out-fault-${process.pid}`);
  const err = openSync(errFile, 'w');
  try {
    const x = spawnSync(argv[0], argv.slice(1), { env: { ...env, OCIRT_FAULT: point }, stdio: ['ignore', 'ignore', err], timeout: 60_000 });
    return { status: x.status, signal: x.signal, stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(err);
    rmSync(errFile, { force: true });
  }
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`SIGKILL at every step, then delete --force (${mode})`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      b = makeBundle((c) => {
        c.process.args = ['/bin/probe', 'sleep', '600'];
        // a directory in the pids and memory hierarchies too on a hybrid host (root only: an
        // unprivileged user here has no delegated cgroup to put limits in)
        if (!user) c.linux.resources = { pids: { limit: 100 }, memory: { limit: 256 * 1024 * 1024 } };
      }, user);
    });
    after(() => {
      r.cleanup();
      b.cleanup();
    });

    /** kill at `point` while running `command`, then delete --force: nothing may remain */
    function walk(
      point: FaultPoint,
      prepare: (id: string) => void,
      command: (id: string) => string[],
      afterwards?: (id: string) => void,
    ): void {
      const before = hostSnapshot();
      const id = newId(point.replace(/:/g, '-'));
      prepare(id);
      const x = runFaulted(r, command(id), point);
      assert.equal(x.signal, 'SIGKILL', `${point} was never reached (exit ${x.status}: ${x.stderr})`);
      afterwards?.(id);
      const d = r.run(['delete', '--force', id]);
      assert.equal(d.status, 0, `delete --force after ${point}: ${d.stderr}`);
      assert.deepEqual(residue({ root: r.root, ids: [id], before, watched: [b.dir] }), NOTHING, `left behind after ${point}`);
    }

    for (const point of FAULT_POINTS.create) {
      test(point, () =>
        walk(
          point,
          () => {},
          (id) => ['create', '-b', b.dir, id],
        ),
      );
    }
    for (const point of FAULT_POINTS.start) {
      test(point, () =>
        walk(
          point,
          (id) => assert.equal(r.run(['create', '-b', b.dir, id]).status, 0),
          (id) => ['start', id],
        ),
      );
    }
    for (const point of FAULT_POINTS.exec) {
      test(point, () =>
        walk(
          point,
          (id) => {
            assert.equal(r.run(['create', '-b', b.dir, id]).status, 0);
            assert.equal(r.run(['start', id]).status, 0);
          },
          (id) => ['exec', id, '/bin/probe', 'sleep', '600'],
          (id) => {
            // the container is not wedged by the dead exec's lock, nor stopped by it
            assert.equal(json(r.run(['state', id])).status, 'running', `state after ${point}`);
            const again = r.run(['exec', id, '/bin/probe', 'exit', '3']);
            assert.equal(again.status, 3, `exec after ${point}: ${again.stderr}`);
          },
        ),
      );
    }
    for (const point of FAULT_POINTS.delete) {
      test(point, () =>
        walk(
          point,
          (id) => assert.equal(r.run(['create', '-b', b.dir, id]).status, 0),
          (id) => ['delete', '--force', id],
        ),
      );
    }

    test('a create killed halfway is "creating", then "stopped" once its init is gone', () => {
      const id = newId('halfway');
      const x = runFaulted(r, ['create', '-b', b.dir, id], 'create:spawned');
      assert.equal(x.signal, 'SIGKILL');
      // the init waited for "go" and saw its parent die: it exits; the record stays
      let s = json(r.run(['state', id]));
      for (let i = 0; i < 200 && s.status !== 'stopped'; i++) s = json(r.run(['state', id]));
      assert.equal(s.status, 'stopped');
      assert.equal(r.run(['start', id]).status, 1);
      assert.equal(r.run(['delete', id]).status, 0, 'a stopped container needs no --force');
    });
  });
}
