/**
 * The command table, argument parsing and help, and the one place errors become messages and exit codes.
 * `run(argv, io)` is the whole CLI; main.ts calls it with the real process.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiClient, LOGIN_HINT, type Credentials } from './client.ts';
import { configDir, envToken, resolveApiUrl, SessionStore } from './config.ts';
import type { Command, Context, FlagSpec, Flags } from './command.ts';
import { AuthError, CliError, ExitCode, UsageError } from './errors.ts';
import type { Io } from './io.ts';
import { loginCommand, logoutCommand } from './commands/auth.ts';
import {
  policyApplyCommand,
  policyDeleteCommand,
  policyDiffCommand,
  policyGetCommand,
} from './commands/policy.ts';
import { proxiesCommand } from './commands/proxies.ts';
import { statCommand } from './commands/stat.ts';

export const COMMANDS: readonly Command[] = [
  loginCommand,
  logoutCommand,
  policyApplyCommand,
  policyGetCommand,
  policyDiffCommand,
  policyDeleteCommand,
  proxiesCommand,
  statCommand,
];

/** Words that only group commands ("policy"). */
const GROUPS: Readonly<Record<string, string>> = { policy: 'Create, list, compare and delete policies' };

const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  api: {
    type: 'string',
    value: 'URL',
    help: 'the Weft API (default: $WEFT_API_URL, else http://127.0.0.1:4000, the local demo)',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const EXIT_CODES =
  'Exit codes: 0 ok, 1 refused / differences / failed, 2 usage error, 3 API unreachable,\n' +
  '4 not signed in or not allowed.\n';

const ENVIRONMENT =
  'Environment:\n' +
  '  WEFT_API_URL      the API URL when --api is not given\n' +
  '  WEFT_TOKEN        send "Authorization: Bearer $WEFT_TOKEN" instead of the saved session\n' +
  '  XDG_CONFIG_HOME   sessions are saved in $XDG_CONFIG_HOME/weft/sessions.json (default ~/.config)\n';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function flagLines(flags: Record<string, FlagSpec>): string[] {
  const entries = Object.entries(flags).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    const value = spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : '';
    return [`${short}--${name}${value}`, spec.help] as const;
  });
  const width = Math.max(...entries.map(([left]) => left.length));
  return entries.map(([left, help]) => `  ${left.padEnd(width)}   ${help}`);
}

function listing(commands: readonly { name: string; summary: string }[]): string[] {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`);
}

export function topHelp(): string {
  return [
    'weft: the command line for the Weft service mesh API',
    '',
    'Usage:',
    '  weft COMMAND [flags]',
    '',
    'Commands:',
    ...listing(COMMANDS),
    '',
    'Flags (every command):',
    ...flagLines(GLOBAL_FLAGS),
    '      --version   print the version',
    '',
    ENVIRONMENT,
    `Sign in first: ${LOGIN_HINT}`,
    'Run "weft COMMAND --help" (or "weft help COMMAND") for a command’s flags.',
    EXIT_CODES,
  ].join('\n');
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return [
    `${GROUPS[group]}.`,
    '',
    'Usage:',
    `  weft ${group} COMMAND [flags]`,
    '',
    'Commands:',
    ...listing(commands.map((c) => ({ name: c.name.slice(group.length + 1), summary: c.summary }))),
    '',
    `Run "weft ${group} COMMAND --help" for a command’s flags.`,
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `${command.summary}.`,
    ...(command.description ? ['', command.description] : []),
    '',
    'Usage:',
    `  weft ${command.name}${command.synopsis ? ` ${command.synopsis}` : ''}`,
    '',
    'Flags:',
    ...flagLines({ ...command.flags, ...GLOBAL_FLAGS }),
    ...(command.examples?.length ? ['', 'Examples:', ...command.examples.map((e) => `  ${e}`)] : []),
    '',
    EXIT_CODES,
  ].join('\n');
}

interface Located {
  /** The command, or a group word when only that was given, or null for none. */
  command: Command | null;
  group: string | null;
  rest: string[];
}

/** Finds the command words ("policy", "get") among the arguments; everything else is left for the command. */
export function locateCommand(argv: readonly string[]): Located {
  const words: string[] = [];
  const rest: string[] = [];
  let command: Command | null = null;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (command || token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (token.startsWith('-')) {
      rest.push(token);
      // A global flag's value is not a command word.
      if (token === '--api' && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    words.push(token);
    const name = words.join(' ');
    const found = COMMANDS.find((c) => c.name === name);
    if (found) {
      command = found;
      continue;
    }
    if (words.length === 1 && token in GROUPS) continue;
    const group = words.length > 1 ? words[0] : undefined;
    const known = group
      ? `; the ${group} commands are ${COMMANDS.filter((c) => c.name.startsWith(`${group} `))
          .map((c) => c.name.split(' ')[1])
          .join(', ')}`
      : '';
    throw new UsageError(`unknown command "${name}"${known}`, group ?? '');
  }
  const group = !command && words.length === 1 ? words[0]! : null;
  return { command, group, rest };
}

function parseFlags(command: Command, args: string[]): { flags: Flags; positionals: string[] } {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries({ ...command.flags, ...GLOBAL_FLAGS })) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { flags: parsed.values as Flags, positionals: parsed.positionals };
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) throw new UsageError(`unknown flag "${unknown[1]}"`, command.name);
    const needsValue = /Option '([^']+)' argument missing/.exec(message);
    if (needsValue) {
      throw new UsageError(`flag ${needsValue[1]!.replace(/ <value>$/, '')} needs a value`, command.name);
    }
    throw new UsageError(message.split('. ')[0] ?? message, command.name);
  }
}

function credentials(io: Io, sessions: SessionStore, apiUrl: string): Credentials {
  const token = envToken(io);
  if (token) return { kind: 'token', token };
  const session = sessions.get(apiUrl);
  if (!session) throw new AuthError(`not signed in to ${apiUrl}: run ${LOGIN_HINT}`);
  if (session.expiresAtMs <= io.now()) {
    sessions.remove(apiUrl);
    throw new AuthError(
      `your session for ${apiUrl} expired at ${new Date(session.expiresAtMs).toISOString()}: run ${LOGIN_HINT}`,
    );
  }
  return { kind: 'session', session };
}

function report(io: Io, err: unknown): ExitCode {
  if (err instanceof CliError) {
    io.stderr(`error: ${err.message}\n${err.details.map((d) => `  ${d}\n`).join('')}`);
    if (err instanceof UsageError) {
      io.stderr(`Run "weft${err.command ? ` ${err.command}` : ''} --help" for usage.\n`);
    }
    return err.exitCode;
  }
  io.stderr(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return ExitCode.failed;
}

export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  try {
    // "weft help policy apply" is "weft policy apply --help".
    if (argv[0] === 'help') argv = [...argv.slice(1), '--help'];
    const { command, group, rest } = locateCommand(argv);
    if (!command) {
      const asked = rest.includes('--help') || rest.includes('-h');
      if (group) {
        if (asked) {
          io.stdout(groupHelp(group));
          return ExitCode.ok;
        }
        io.stderr(groupHelp(group));
        throw new UsageError(`"weft ${group}" needs a command`, group);
      }
      if (rest.includes('--version')) {
        io.stdout(`weft ${version()}\n`);
        return ExitCode.ok;
      }
      if (asked || rest.length === 0) {
        io.stdout(topHelp());
        return ExitCode.ok;
      }
      throw new UsageError(`no command given (flags: ${rest.join(' ')})`);
    }
    const { flags, positionals } = parseFlags(command, rest);
    if (flags.help === true) {
      io.stdout(commandHelp(command));
      return ExitCode.ok;
    }
    const [min, max] = command.args;
    if (positionals.length < min) {
      throw new UsageError(`missing arguments: weft ${command.name} ${command.synopsis}`, command.name);
    }
    if (positionals.length > max) {
      const extra = positionals
        .slice(max)
        .map((p) => `"${p}"`)
        .join(' ');
      throw new UsageError(
        `unexpected argument${positionals.length - max > 1 ? 's' : ''} ${extra}`,
        command.name,
      );
    }
    const apiUrl = resolveApiUrl(typeof flags.api === 'string' ? flags.api : undefined, io);
    const sessions = new SessionStore(configDir(io));
    const ctx: Context = {
      io,
      apiUrl,
      sessions,
      client: () => {
        const creds = credentials(io, sessions, apiUrl);
        return new ApiClient({
          apiUrl,
          credentials: creds,
          fetch: io.fetch,
          onSessionRejected: () => void sessions.remove(apiUrl),
        });
      },
      anonymousClient: () => new ApiClient({ apiUrl, credentials: { kind: 'none' }, fetch: io.fetch }),
    };
    return await command.run(ctx, flags, positionals);
  } catch (err) {
    return report(io, err);
  }
}
