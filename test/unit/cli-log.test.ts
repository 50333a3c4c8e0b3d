// --log / --log-format: engines read the runtime's last error from this file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const OCIRT = join(process.cwd(), 'bin', 'ocirt');

function withDir(fn: (dir: string) => void) {
  const dir = mkdtempSync('/tmp/ocirt-log-');
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('--log-format json writes one {"level","msg","time"} line per error', () => {
  withDir((dir) => {
    const log = join(dir, 'log.json');
    const r = spawnSync(OCIRT, ['--root', dir, '--log', log, '--log-format', 'json', 'state', 'nope'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container "nope" does not exist/);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]) as { level: string; msg: string; time: string };
    assert.equal(entry.level, 'error');
    assert.equal(entry.msg, 'container "nope" does not exist');
    assert.ok(!Number.isNaN(Date.parse(entry.time)), 'time is a timestamp');
  });
});

test('--log-format text writes logfmt-style lines; usage errors are logged too', () => {
  withDir((dir) => {
    const log = join(dir, 'log.txt');
    const r = spawnSync(OCIRT, ['--root', dir, '--log', log, 'kill'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    const text = readFileSync(log, 'utf8');
    assert.match(text, /^time="[^"]+" level=error msg=".*arguments.*"$/m);
  });
});
