// Writes an assembler file that embeds the built init stub into the addon, so the addon is a single
// file with no separate executable to find (or to be swapped) at run time.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const [stub, out] = process.argv.slice(2);
if (!stub || !out) {
  console.error('usage: gen_blob.mjs <ocirt-init> <out.S>');
  process.exit(2);
}
const abs = resolve(stub);
if (/["\\\n]/.test(abs)) {
  console.error(`gen_blob: unsupported character in path ${abs}`);
  process.exit(2);
}
writeFileSync(
  out,
  `\t.section .rodata
\t.balign 16
\t.globl ocirt_init_start
\t.hidden ocirt_init_start
ocirt_init_start:
\t.incbin "${abs}"
\t.globl ocirt_init_end
\t.hidden ocirt_init_end
ocirt_init_end:
\t.byte 0
\t.section .note.GNU-stack,"",@progbits
`,
);
