// node:path (POSIX) for the Bun executable: loading Bun's node:path costs about 1.3 ms on every
// start, and src/ needs five small functions of it. scripts/build-exe.mjs points src/'s
// `node:path` imports here; the Node entry keeps the real module. Same results as
// path.posix for every input: test/unit/sys-shims.test.ts checks that with random paths.

/** Collapses ".", ".." and repeated "/" in a path without its leading "/". */
function collapse(p: string, aboveRoot: boolean): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (aboveRoot) out.push('..');
      continue;
    }
    out.push(seg);
  }
  return out.join('/');
}

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

export function normalize(p: string): string {
  if (p === '') return '.';
  const abs = isAbsolute(p);
  const trailing = p.endsWith('/');
  let body = collapse(p, !abs);
  if (body === '') {
    if (abs) return '/';
    return trailing ? './' : '.';
  }
  if (trailing) body += '/';
  return abs ? `/${body}` : body;
}

export function join(...parts: string[]): string {
  const nonEmpty = parts.filter((s) => s.length > 0);
  return nonEmpty.length === 0 ? '.' : normalize(nonEmpty.join('/'));
}

export function resolve(...parts: string[]): string {
  let acc = '';
  let abs = false;
  for (let i = parts.length - 1; i >= -1 && !abs; i--) {
    const p = i >= 0 ? parts[i] : process.cwd();
    if (p.length === 0) continue;
    acc = `${p}/${acc}`;
    abs = isAbsolute(p);
  }
  const body = collapse(acc, !abs);
  if (abs) return `/${body}`;
  return body.length > 0 ? body : '.';
}

export function dirname(p: string): string {
  if (p === '') return '.';
  let i = p.length - 1;
  while (i >= 1 && p[i] === '/') i--; // trailing slashes
  while (i >= 1 && p[i] !== '/') i--; // the last component
  // i: the last slash of the separator before it (the others stay, as path.posix keeps them)
  if (i < 1) return p.startsWith('/') ? '/' : '.';
  if (i === 1 && p.startsWith('/')) return '//';
  return p.slice(0, i);
}

/** basename(p) without the extension form, which src/ does not use. */
export function basename(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export const sep = '/';
export const delimiter = ':';

export const posix = { isAbsolute, normalize, join, resolve, dirname, basename, sep, delimiter };
