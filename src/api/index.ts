// ocirt as a library: `import { Runtime } from 'ocirt'`. The package's ESM entry (package.json
// "exports"); docs in README.md "API".
export { Runtime, type RunOptions, type RunResult } from './runtime.js';
export { Container } from './container.js';
export { ProcessHandle, type ExitStatus } from './process.js';
export type { RuntimeOptions, LogSink, LogLevel } from './context.js';
export type { StdioOption, StdioEntry } from './stdio.js';
export type { CreateOptions } from './ops/create.js';
export type { ExecOptions } from './ops/exec.js';
export type { ContainerEvent, EventsOptions } from './ops/events.js';
export type { ContainerState } from './ops/state.js';
export type { BundleSource, Validation, Problem } from './ops/validate.js';
export type { Features } from './ops/features.js';
export type { Spec, Process, LinuxResources } from '../spec/types.js';
export {
  OcirtError,
  BundleError,
  ConfigError,
  ContainerError,
  SystemError,
  InitError,
  ArgumentError,
  isOcirtError,
  type ErrorCode,
} from '../errors.js';
