/**
 * Everything the CLI takes from its process: output streams, stdin, the environment, the clock and fetch.
 * `run()` gets one of these, so tests drive the whole CLI in-process with fakes.
 */
import os from 'node:os';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** All of stdin, as text. */
  readStdin: () => Promise<string>;
  /** stdin is a terminal (a person types), not a pipe or file. */
  stdinIsTty: boolean;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  cwd: string;
  now: () => number;
  fetch: typeof fetch;
}

export function processIo(): Io {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdinIsTty: process.stdin.isTTY === true,
    env: process.env,
    homeDir: os.homedir(),
    cwd: process.cwd(),
    now: Date.now,
    fetch: globalThis.fetch,
  };
}
