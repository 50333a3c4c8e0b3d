// CLI gaps found by trying it (issue 12 item 6): runc's `--` before the container id, and ids
// that cannot name a state directory (too long, or a path) refused with a clear message by every
// command before any file is made from them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IS_ROOT, PROBE, json, makeBundle, newId, runner, testUser, type Bundle, type Runner, type User } from '../helpers/containers.ts';

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : false;

for (const mode of ['root', 'rootless'] as const) {
  describe(`CLI gaps (${mode})`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    before(() => {
      user = mode === 'rootless' ? testUser() : undefined;
      r = runner(user);
      b = makeBundle((c) => (c.process.args = ['/bin/probe', 'sleep', '60']), user);
    });
    after(() => {
      r.cleanup();
      b.cleanup();
    });

    test('create -b . -- ID, as runc takes it', () => {
      const id = newId('dashdash');
      const c = r.run(['create', '-b', '.', '--', id], { cwd: b.dir });
      assert.equal(c.status, 0, c.stderr);
      assert.equal(json(r.run(['state', id])).status, 'created');
      for (const argv of [
        ['start', '--', id],
        ['kill', '--', id, 'KILL'],
        ['delete', '-f', '--', id],
      ]) {
        const x = r.run(argv);
        assert.equal(x.status, 0, `${argv.join(' ')}: ${x.stderr}`);
      }
      assert.deepEqual(
        readdirSync(r.root).filter((n) => !n.startsWith('.out')),
        [],
      );
    });

    test('an id too long for a file name is refused by every command, naming the limit', () => {
      const long = 'a'.repeat(1100);
      for (const argv of [
        ['create', '-b', b.dir, long],
        ['run', '-b', b.dir, long],
        ['state', long],
        ['start', long],
        ['kill', long, 'KILL'],
        ['delete', long],
        ['delete', '-f', long],
      ]) {
        const x = r.run(argv);
        assert.equal(x.status, 1, argv[0]);
        assert.equal(
          x.stderr,
          'ocirt: container id is too long (1100 characters): at most 249, so that the state directory and lock file named after it fit in a file name\n',
          argv[0],
        );
      }
      assert.deepEqual(
        readdirSync(r.root).filter((n) => !n.startsWith('.out')),
        [],
      );
    });

    test('the longest id that fits works, one more character does not', () => {
      const id = newId('max');
      const longest = id + 'x'.repeat(249 - id.length);
      const c = r.run(['create', '-b', b.dir, longest]);
      assert.equal(c.status, 0, c.stderr);
      assert.equal(json(r.run(['state', longest])).status, 'created');
      assert.equal(r.run(['delete', '-f', longest]).status, 0);
      const x = r.run(['create', '-b', b.dir, longest + 'x']);
      assert.match(x.stderr, /container id is too long \(250 characters\)/);
      assert.deepEqual(
        readdirSync(r.root).filter((n) => !n.startsWith('.out')),
        [],
      );
    });

    test('an id that is a path is refused before any file is made from it', () => {
      const outside = join(dirname(r.root), `.lock-x`);
      for (const argv of [
        ['state', 'x/../../etc'],
        ['delete', '-f', 'x/../y'],
        ['kill', '../x', 'KILL'],
        ['start', '..'],
      ]) {
        const x = r.run(argv);
        assert.equal(x.status, 1, argv.join(' '));
        assert.match(x.stderr, /^ocirt: invalid container id /, argv.join(' '));
      }
      assert.equal(existsSync(outside), false);
      assert.deepEqual(
        readdirSync(r.root).filter((n) => !n.startsWith('.out')),
        [],
      );
    });
  });
}
