/** What a command is (flags, arguments, help text, handler) and what it gets to run with. */
import type { ApiClient } from './client.ts';
import type { SessionStore } from './config.ts';
import { UsageError, type ExitCode } from './errors.ts';
import type { Io } from './io.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder in help: "NS", "FILE|DIR". */
  value?: string;
  help: string;
}

export type Flags = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  io: Io;
  apiUrl: string;
  sessions: SessionStore;
  /** A client with the caller's credentials (WEFT_TOKEN or the saved session); AuthError when there are none. */
  client(): ApiClient;
  /** A client without credentials (sign-in). */
  anonymousClient(): ApiClient;
}

export interface Command {
  /** "policy apply" */
  name: string;
  summary: string;
  /** Argument synopsis after the command name: "KIND NAME -n NS". */
  synopsis: string;
  /** Paragraphs after the summary in --help. */
  description?: string;
  flags: Record<string, FlagSpec>;
  /** Fewest and most positional arguments. */
  args: [number, number];
  examples?: string[];
  run(ctx: Context, flags: Flags, args: string[]): Promise<ExitCode>;
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function listFlag(flags: Flags, name: string): string[] {
  const v = flags[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

/** -o: one of `allowed`, the first when not given. */
export function outputFlag<T extends string>(flags: Flags, allowed: readonly T[], command: string): T {
  const value = stringFlag(flags, 'output');
  if (value === undefined) return allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`-o must be one of ${allowed.join(', ')}, not "${value}"`, command);
  }
  return value as T;
}

export const NAMESPACE_FLAG: FlagSpec = {
  type: 'string',
  short: 'n',
  value: 'NS',
  help: 'only this namespace',
};
