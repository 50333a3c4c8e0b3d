// clang-format over the C and C++ sources (native/, test/fixtures/), with the repository's
// .clang-format: `--check` reports files that differ (exit 1), otherwise they are rewritten.
// The formatting depends on clang-format's version: CI's is Debian 12's (14), as .ci/run installs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', 'native', 'test/fixtures'], {
  cwd: root,
})
  .toString()
  .split('\n')
  .filter((f) => /\.(c|cc|h)$/.test(f));
const r = spawnSync('clang-format', [...(check ? ['--dry-run', '--Werror'] : ['-i']), ...files], { cwd: root, stdio: 'inherit' });
if (r.error) {
  console.error(`clang-format: ${r.error.code === 'ENOENT' ? 'not installed (Debian: apt-get install clang-format)' : r.error.message}`);
  process.exit(1);
}
if (r.status !== 0 && check) console.error('native sources are not formatted: run `npm run format`');
process.exit(r.status ?? 1);
