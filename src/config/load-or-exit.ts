import { ConfigError } from "./config-error";

/**
 * For entry points: the configuration, or the problems on stderr and exit code 2 (a usage error,
 * no stack trace). Any other failure is left to the caller.
 */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`delineate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
