// Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program that says yes or no to each
// access, built from the v1-semantics state of the rules (devices.ts) so that a config allows the
// same devices on both cgroup versions. Instructions are plain data ({code, dst, src, off, imm});
// encodeProgram makes the bytes the addon loads (native/bpf.cc). Pure.
//
// The program: load the context (struct bpf_cgroup_dev_ctx: u32 access_type = access << 16 | type,
// u32 major, u32 minor) into w2 (type), w3 (access), w4 (major), w5 (minor); then one block per
// exception that returns its verdict when it matches; then the default.
import type { DeviceException, DeviceState } from './devices.js';
import { ACCESS_ALL } from './devices.js';

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** The program's name as the kernel records it: how ocirt finds its own program on update. */
export const DEVICE_PROGRAM_NAME = 'ocirt_devices';

// linux/bpf.h
const BPF_DEVCG_DEV_BLOCK = 1;
const BPF_DEVCG_DEV_CHAR = 2;
const OP = {
  LDX_MEM_W: 0x61, // r_dst = *(u32 *)(r_src + off)
  MOV32_X: 0xbc,
  MOV32_K: 0xb4,
  AND32_K: 0x54,
  RSH32_K: 0x74,
  JNE32_K: 0x56,
  JEQ32_K: 0x16,
  EXIT: 0x95,
} as const;

const ins = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({ code, dst, src, off, imm });

/** One exception's block; jumps to "next" are left at off -1 and resolved by the caller. */
function block(e: DeviceException, verdict: number): BpfInsn[] {
  const NEXT = -1;
  const out: BpfInsn[] = [ins(OP.JNE32_K, 2, 0, NEXT, e.type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR)];
  if (verdict === 1) {
    // allowed only if every requested access is in the exception's
    if ((e.access & ACCESS_ALL) !== ACCESS_ALL) {
      out.push(ins(OP.MOV32_X, 1, 3, 0, 0), ins(OP.AND32_K, 1, 0, 0, ~e.access & ACCESS_ALL), ins(OP.JNE32_K, 1, 0, NEXT, 0));
    }
  } else {
    // denied if any requested access is in the exception's
    out.push(ins(OP.MOV32_X, 1, 3, 0, 0), ins(OP.AND32_K, 1, 0, 0, e.access), ins(OP.JEQ32_K, 1, 0, NEXT, 0));
  }
  if (e.major >= 0) out.push(ins(OP.JNE32_K, 4, 0, NEXT, e.major | 0));
  if (e.minor >= 0) out.push(ins(OP.JNE32_K, 5, 0, NEXT, e.minor | 0));
  out.push(ins(OP.MOV32_K, 0, 0, 0, verdict), ins(OP.EXIT, 0, 0, 0, 0));
  // every conditional jump goes to the instruction after the block
  return out.map((x, i) => (x.off === NEXT ? { ...x, off: out.length - i - 1 } : x));
}

export function deviceProgram(state: DeviceState): BpfInsn[] {
  const prologue = [
    ins(OP.LDX_MEM_W, 2, 1, 0, 0),
    ins(OP.LDX_MEM_W, 4, 1, 4, 0),
    ins(OP.LDX_MEM_W, 5, 1, 8, 0),
    ins(OP.MOV32_X, 3, 2, 0, 0),
    ins(OP.RSH32_K, 3, 0, 0, 16),
    ins(OP.AND32_K, 2, 0, 0, 0xffff),
  ];
  const verdict = state.defaultAllow ? 0 : 1;
  const blocks = state.exceptions.flatMap((e) => block(e, verdict));
  return [...prologue, ...blocks, ins(OP.MOV32_K, 0, 0, 0, state.defaultAllow ? 1 : 0), ins(OP.EXIT, 0, 0, 0, 0)];
}

/** struct bpf_insn, little-endian: u8 code, u8 dst:4 | src:4 << 4, s16 off, s32 imm */
export function encodeProgram(insns: BpfInsn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    b.writeUInt8(x.code, i * 8);
    b.writeUInt8((x.dst & 0xf) | ((x.src & 0xf) << 4), i * 8 + 1);
    b.writeInt16LE(x.off, i * 8 + 2);
    b.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return b;
}
