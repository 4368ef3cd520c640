/**
 * Exit codes and the errors that carry them. Every failure the CLI reports is a CliError; `run()` prints its
 * message (and detail lines) on stderr and exits with its code.
 */
export const ExitCode = {
  ok: 0,
  /** A resource was refused, `policy diff` found differences, or an operation failed. */
  failed: 1,
  /** Unknown command or flag, a missing or malformed argument. */
  usage: 2,
  /** The API did not answer at its URL. */
  unreachable: 3,
  /** Not signed in, the session or token was refused, or the role is too weak. */
  auth: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Printed after the message, one per line, indented. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(
    message: string,
    /** The command whose help explains the usage ("policy get"), or "" for the top level. */
    readonly command = '',
  ) {
    super(message, ExitCode.usage);
  }
}

export class UnreachableError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.unreachable);
  }
}

export class AuthError extends CliError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.auth, details);
  }
}

/** A finding as the API reports it (packages/schema/src/policy/validate.ts). */
export interface ApiFinding {
  code: string;
  severity: string;
  path: string;
  message: string;
}

/** An error answer from a tRPC procedure (other than 401/403, which become AuthError). */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly procedure: string,
    readonly httpStatus: number,
    /** The tRPC error code: BAD_REQUEST, NOT_FOUND, CONFLICT… */
    readonly code: string,
    readonly findings: readonly ApiFinding[] = [],
    details: readonly string[] = [],
  ) {
    super(message, ExitCode.failed, details);
  }
}

/** The API has no such procedure: it is older than this CLI. */
export class UnsupportedError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.failed);
  }
}
