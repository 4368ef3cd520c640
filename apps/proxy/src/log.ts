/** One-line logs on stderr; stdout carries only the ready line. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(
  prefix: string,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const line = (level: string, message: string): void => {
    write(`${new Date().toISOString()} ${level} ${prefix}: ${message}\n`);
  };
  return {
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Logs a message the first time a key is seen (e.g. the same rejection repeated on every poll). */
export class LogOnce {
  readonly #seen = new Set<string>();
  readonly #limit: number;

  constructor(limit = 1000) {
    this.#limit = limit;
  }

  /** True when `key` is new; forgets everything once the limit is reached, so memory stays bounded. */
  first(key: string): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#limit) this.#seen.clear();
    this.#seen.add(key);
    return true;
  }

  forget(key: string): void {
    this.#seen.delete(key);
  }
}
