/** Exit codes shared by every command (README, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** Finished, but data differs or some keys failed. */
  incomplete: 1,
  /** Invalid usage, bad input or a preflight refusal. */
  usage: 2,
  /** Cannot connect or authenticate (also: a source quota that ends the run). */
  connect: 3,
  /** A cutover or rollback gate is not met; nothing changed (retry later). */
  notReady: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface MigrateErrorOptions {
  code: ExitCode;
  /** What the operator should do next; printed on its own after the message. */
  hint?: string;
  cause?: unknown;
}

/** The one error type that reaches the operator: a one-line message, an exit code and what to do next. */
export class MigrateError extends Error {
  readonly code: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: MigrateErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'MigrateError';
    this.code = options.code;
    this.hint = options.hint;
  }
}

export const usageError = (message: string, hint?: string): MigrateError =>
  new MigrateError(message, { code: ExitCode.usage, hint });

/** The message of anything thrown, without a stack. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
