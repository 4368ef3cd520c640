/** `weft login` and `weft logout`: a session per API URL, saved for the next commands. */
import { envToken } from '../config.ts';
import { CliError, ExitCode, UnreachableError, UsageError } from '../errors.ts';
import { stringFlag, type Command } from '../command.ts';

/** The password as piped in: one trailing newline (from echo or a file) is not part of it. */
export function passwordFromStdin(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'Sign in to the API and save the session for the next commands',
  synopsis: '--username USER --password-stdin',
  description:
    'Signs in with a built-in user (POST /auth/login) and saves the session cookie and CSRF token for this API URL\n' +
    'in $XDG_CONFIG_HOME/weft/sessions.json (or ~/.config/weft/sessions.json), readable only by you.\n' +
    'The password is read from stdin so it stays out of your shell history and the process list.\n' +
    'With WEFT_TOKEN set, commands send that token (Authorization: Bearer) instead of the saved session.',
  flags: {
    username: { type: 'string', short: 'u', value: 'USER', help: 'the user to sign in as' },
    'password-stdin': { type: 'boolean', help: 'read the password from stdin' },
  },
  args: [0, 0],
  examples: [
    'printf \'%s\' "$WEFT_PASSWORD" | weft login --username admin --password-stdin',
    'weft login --username admin --password-stdin < .weft/admin-password',
  ],
  async run(ctx, flags) {
    const username = stringFlag(flags, 'username');
    if (!username) throw new UsageError('--username is required', 'login');
    if (flags['password-stdin'] !== true) {
      throw new UsageError(
        'pass the password on stdin with --password-stdin, e.g. printf \'%s\' "$PASSWORD" | weft login --username admin --password-stdin',
        'login',
      );
    }
    if (ctx.io.stdinIsTty) ctx.io.stderr('Password (then Enter and Ctrl-D): ');
    const password = passwordFromStdin(await ctx.io.readStdin());
    if (password === '') throw new UsageError('no password on stdin', 'login');
    const session = await ctx.anonymousClient().login(username, password);
    ctx.sessions.save(ctx.apiUrl, session);
    ctx.io.stdout(
      `Signed in to ${ctx.apiUrl} as ${session.username} (${session.role}) until ` +
        `${new Date(session.expiresAtMs).toISOString()}; session saved in ${ctx.sessions.file}\n`,
    );
    if (envToken(ctx.io)) {
      ctx.io.stderr('note: WEFT_TOKEN is set: commands send it instead of this session until you unset it\n');
    }
    return ExitCode.ok;
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'End the saved session on the API and forget it',
  synopsis: '',
  flags: {},
  args: [0, 0],
  async run(ctx) {
    const saved = ctx.sessions.get(ctx.apiUrl);
    if (!saved) {
      ctx.io.stdout(`Not signed in to ${ctx.apiUrl}\n`);
      return ExitCode.ok;
    }
    ctx.sessions.remove(ctx.apiUrl);
    try {
      await ctx.anonymousClient().logout(saved);
    } catch (err) {
      if (err instanceof UnreachableError) {
        throw new CliError(
          `forgot the session for ${ctx.apiUrl}, but could not end it on the API: ${err.message}`,
          ExitCode.unreachable,
        );
      }
      if (!(err instanceof CliError)) throw err;
      ctx.io.stderr(`warning: ${err.message}\n`);
    }
    ctx.io.stdout(`Signed out of ${ctx.apiUrl}\n`);
    return ExitCode.ok;
  },
};
