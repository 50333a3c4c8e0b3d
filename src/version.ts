declare const OCIRT_BUILD_COMMIT: string;

export const OCIRT_VERSION = '0.1.0';
/** The runtime-spec version ocirt implements and writes into `spec` and `state` output. */
export const OCI_SPEC_VERSION = '1.3.0';
export const BUILD_COMMIT: string = typeof OCIRT_BUILD_COMMIT === 'string' ? OCIRT_BUILD_COMMIT : 'unknown';

export function versionText(): string {
  return `ocirt version ${OCIRT_VERSION}\ncommit: ${BUILD_COMMIT}\nspec: ${OCI_SPEC_VERSION}\n`;
}
