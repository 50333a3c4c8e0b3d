// The executable's stand-ins for node:path and node:os (src/sys/), which its build uses instead
// of the real modules: same results as the real ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix as real } from 'node:path';
import { userInfo as realUserInfo } from 'node:os';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import * as shim from '../../src/sys/path-posix.js';
import { userInfo } from '../../src/sys/os-addon.js';
import { installEmbeddedAddon } from '../../src/sys/embedded-addon.js';
import { findAddon } from '../../src/native.js';

const segment = fc.constantFrom('', '.', '..', 'a', 'b', 'c.d', '...', ' x', '/', '//');
const pathArb = fc.array(segment, { maxLength: 7 }).map((s) => s.join('/'));
const looseArb = fc.oneof(pathArb, fc.string({ unit: fc.constantFrom('a', '/', '.', 'b'), maxLength: 10 }));

test('path-posix: join, resolve, normalize, dirname, basename, isAbsolute equal path.posix', () => {
  fc.assert(
    fc.property(fc.array(looseArb, { maxLength: 4 }), (parts) => {
      assert.equal(shim.join(...parts), real.join(...parts), `join ${JSON.stringify(parts)}`);
      assert.equal(shim.resolve(...parts), real.resolve(...parts), `resolve ${JSON.stringify(parts)}`);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(looseArb, (p) => {
      assert.equal(shim.normalize(p), real.normalize(p), `normalize ${JSON.stringify(p)}`);
      assert.equal(shim.dirname(p), real.dirname(p), `dirname ${JSON.stringify(p)}`);
      assert.equal(shim.basename(p), real.basename(p), `basename ${JSON.stringify(p)}`);
      assert.equal(shim.isAbsolute(p), real.isAbsolute(p), `isAbsolute ${JSON.stringify(p)}`);
    }),
    { numRuns: 3000 },
  );
  for (const p of ['', '/', '//', '///', '//a', '///a', 'a//b', 'a/b/', '/a/b//', '..', '../..', '/..', 'a/../..', './', './/']) {
    assert.equal(shim.dirname(p), real.dirname(p), `dirname ${JSON.stringify(p)}`);
    assert.equal(shim.normalize(p), real.normalize(p), `normalize ${JSON.stringify(p)}`);
  }
  assert.equal(shim.posix.join, shim.join);
});

test('os-addon: userInfo().username equals node:os', () => {
  installEmbeddedAddon(() => createRequire(import.meta.url)(findAddon()));
  const want = realUserInfo();
  const got = userInfo();
  assert.equal(got.username, want.username);
  assert.equal(got.uid, want.uid);
  assert.equal(got.gid, want.gid);
  assert.equal(got.homedir, want.homedir);
});
