// What the lifecycle code reports besides its result: warnings (accepted but not applied, a
// poststop hook that failed), debug lines for --debug, the output of hooks. The CLI's --log file
// (src/cli/log.ts) implements it; callers that do not care pass nothing.
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const nothing = (): void => {};
export const SILENT: Logger = { debug: nothing, info: nothing, warn: nothing, error: nothing };
