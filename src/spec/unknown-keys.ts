// Keys config.json has that runtime-spec does not define. The official schema allows any extra
// property, so `"mounts": [{"destnation": ...}]` or `"readOnly": true` pass validation and are
// ignored: the container silently lacks what was meant. These are warnings (errors with
// `validate --strict`), with the closest known name. The tree of known names is generated from
// the TypeBox schema at build time (src/spec/gen-validators.ts -> build/gen/config-keys.mjs).
import tree from '../../build/gen/config-keys.mjs';
import { closest } from './known.js';
import { joinPointer } from './locate.js';

/** k: an object's known properties; m: the tree of a map's values (any key); i: an array's items */
export interface KeyNode {
  k?: Record<string, KeyNode>;
  m?: KeyNode;
  i?: KeyNode;
}

export interface UnknownKey {
  pointer: string;
  message: string;
}

/** Where a key is the name of something (a hook phase, an annotation, a sysctl), any key is fine. */
export function unknownKeys(doc: unknown): UnknownKey[] {
  const out: UnknownKey[] = [];
  walk(doc, tree, '', out);
  return out;
}

function walk(v: unknown, node: KeyNode, pointer: string, out: UnknownKey[]): void {
  if (Array.isArray(v)) {
    if (node.i) v.forEach((x, i) => walk(x, node.i as KeyNode, joinPointer(pointer, i), out));
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  for (const [key, value] of Object.entries(v)) {
    const p = joinPointer(pointer, key);
    const known = node.k?.[key];
    if (known) walk(value, known, p, out);
    else if (node.m) walk(value, node.m, p, out);
    else if (node.k) {
      const guess = closest(key, Object.keys(node.k));
      out.push({
        pointer: p,
        message: `unknown property ${JSON.stringify(key)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}: runtime-spec 1.3.0 does not define it here, so it is ignored`,
      });
    }
  }
}
