// JSON Schema building blocks shared by the config schemas (defs.json's integer ranges, string
// enums, string maps).
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** A string enum as a plain JSON Schema `enum` (TypeBox's literal unions become anyOf, whose errors read badly). */
export function StringEnum<const T extends readonly string[]>(values: T, description?: string): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

// Integer ranges as in defs.json. int64/uint64 bounds are not exactly representable as doubles;
// like the official schema we state them anyway (JSON.parse rounds the same way).
export const Int32 = () => Type.Integer({ minimum: -2147483648, maximum: 2147483647 });
// biome-ignore lint/correctness/noPrecisionLoss: the schema's own bounds (above)
export const Int64 = () => Type.Integer({ minimum: -9223372036854775808, maximum: 9223372036854775807 });
export const Uint8 = () => Type.Integer({ minimum: 0, maximum: 255 });
export const Uint16 = () => Type.Integer({ minimum: 0, maximum: 65535 });
export const Uint32 = () => Type.Integer({ minimum: 0, maximum: 4294967295 });
// biome-ignore lint/correctness/noPrecisionLoss: the schema's own bounds (above)
export const Uint64 = () => Type.Integer({ minimum: 0, maximum: 18446744073709551615 });
/** File permission bits, written in decimal in JSON (0o777 = 511). */
export const FileMode = () => Type.Integer({ minimum: 0, maximum: 511, description: 'file mode, in decimal' });
/**
 * A device's fileMode. The schema says 0..511, but engines send st_mode with the file-type bits
 * (podman --privileged copies the host's: 8630 is S_IFCHR|0666, 24960 S_IFBLK|0600) and runc takes
 * them: the permission bits are used, and semantic.ts checks that the type bits match "type".
 */
export const DeviceFileMode = () =>
  Type.Integer({ minimum: 0, maximum: 0o177777, description: 'file mode, in decimal; file-type bits (S_IFCHR...) allowed' });
export const ArrayOfStrings = () => Type.Array(Type.String());
/** defs.json mapStringString: only non-empty keys are checked, as upstream's ".{1,}" pattern does. */
export const MapStringString = () =>
  Type.Unsafe<Record<string, string>>({ type: 'object', patternProperties: { '.{1,}': { type: 'string' } } });
/** A JSON object whose values all follow one schema (netDevices, rdma). */
export function MapOf<T extends TSchema>(value: T): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: value });
}
