/**
 * Typed errors shared by every layer. Each carries a stable `code`, a `hint` telling the user how
 * to fix it, and the process exit code the CLI uses; callers branch on the class, never on text.
 */

export type ErrorDetails = {
  readonly hint?: string;
  readonly cause?: unknown;
};

export abstract class FleetbenchError extends Error {
  abstract readonly code: string;
  /** Exit code the CLI uses for this error (2 = invalid input). */
  readonly exitCode: number = 1;
  readonly hint: string | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.hint = details.hint;
  }
}

/** One problem of a plan: what is wrong, where (`file:line:column`), and how to fix it. */
export type PlanIssue = { readonly message: string; readonly where: string; readonly hint?: string };

/**
 * The plan file is unreadable or does not match the schema. `message`, `where` and `hint` are those of the
 * first (most telling) problem; `issues` holds every problem found, that one first, so a user fixes them
 * all in one go.
 */
export class PlanValidationError extends FleetbenchError {
  readonly code = 'PLAN_INVALID';
  override readonly exitCode = 2;
  readonly issues: readonly PlanIssue[];
  constructor(
    message: string,
    readonly where: string,
    details: ErrorDetails & { readonly more?: readonly PlanIssue[] } = {},
  ) {
    super(message, details);
    const first = { message, where, ...(details.hint === undefined ? {} : { hint: details.hint }) };
    this.issues = [first, ...(details.more ?? [])];
  }
}

/** Invalid command-line input that is not a plan (bad id, bad option value). */
export class UsageError extends FleetbenchError {
  readonly code = 'USAGE';
  override readonly exitCode = 2;
}

export class RunNotFoundError extends FleetbenchError {
  readonly code = 'RUN_NOT_FOUND';
  override readonly exitCode = 2;
  constructor(
    readonly runId: string,
    details: ErrorDetails = {},
  ) {
    super(`run ${runId} not found`, { hint: 'list runs with `fleetbench runs`', ...details });
  }
}

/** A controller or task state change that the transition table forbids. */
export class IllegalTransitionError extends FleetbenchError {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly kind: 'controller' | 'task',
    readonly from: string,
    readonly to: string,
  ) {
    super(`illegal ${kind} transition ${from} -> ${to}`);
  }
}

/** A conditional write lost against a concurrent writer; the caller decides whether that is fine. */
export class ConflictError extends FleetbenchError {
  readonly code: string = 'CONFLICT';
}

/**
 * A write that needs an existing command found none: a status for a command this run never sent, or
 * one sent by a journal that was since reset. A ConflictError, as every lost condition is; its own type
 * so a caller can tell "another writer first" from "nothing to write to".
 */
export class CommandNotFoundError extends ConflictError {
  override readonly code = 'COMMAND_NOT_FOUND';
  constructor(
    readonly runId: string,
    readonly commandId: string,
    details: ErrorDetails = {},
  ) {
    super(`command ${commandId} of run ${runId} does not exist`, details);
  }
}

/** The run's state does not allow the requested operation (stop a finished run, resume a running one). */
export class RunStateError extends FleetbenchError {
  readonly code = 'RUN_STATE';
  override readonly exitCode = 2;
}

/** Another engine owns the data directory, or the engine is unavailable. */
export class EngineError extends FleetbenchError {
  readonly code = 'ENGINE';
}

/**
 * Thrown by a workflow task when a stop was requested. The ASL catches it by this exact name
 * (`Fleetbench.StopRequested`) and routes to the teardowns.
 */
export class StopRequestedError extends FleetbenchError {
  readonly code = 'STOP_REQUESTED';
  constructor(message = 'stop requested', details: ErrorDetails = {}) {
    super(message, details);
    this.name = WorkflowErrorName.StopRequested;
  }
}

/** A workflow step failed (by the failure policy); the ASL routes it to the teardowns. */
export class StepFailedError extends FleetbenchError {
  readonly code = 'STEP_FAILED';
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = WorkflowErrorName.StepFailed;
  }
}

/** Fail-fast fired: a task failed and the plan says stop scheduling; the ASL ends the run after teardown. */
export class FailFastError extends FleetbenchError {
  readonly code = 'FAIL_FAST';
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = WorkflowErrorName.FailFast;
  }
}

/** The run was created but cannot start (no reachable host, requireAllHosts); it is recorded FAILED. */
export class RunCannotStartError extends FleetbenchError {
  readonly code = 'RUN_CANNOT_START';
}

/** Error names the state machine matches in its Catch and Choice rules. */
export const WorkflowErrorName = {
  StopRequested: 'Fleetbench.StopRequested',
  StepFailed: 'Fleetbench.StepFailed',
  FailFast: 'Fleetbench.FailFast',
} as const;

/** A benchmark's output could not be parsed into metrics (truncated, tool error, unexpected format). */
export class PluginOutputError extends FleetbenchError {
  readonly code = 'PLUGIN_OUTPUT';
}

/** The journal's storage is damaged (corrupt or truncated files): what was recorded cannot be trusted. */
export class DatabaseDamagedError extends FleetbenchError {
  readonly code = 'DATABASE_DAMAGED';
  override readonly exitCode = 2;
}

/**
 * The journal cannot be written (a full disk, an I/O error of the local database): the engine tears down what
 * it can without it and stops, leaving the run to be resumed once the cause is fixed.
 */
export class JournalUnavailableError extends FleetbenchError {
  readonly code = 'JOURNAL_UNAVAILABLE';
}

const IO_ERROR_CODES = new Set(['ENOSPC', 'EIO', 'EROFS', 'EDQUOT', 'LEVEL_IO_ERROR']);

/**
 * The DynamoDB error names the local database answers a request with when its storage fails under it
 * (adapters/local/storage-faults.ts): a file system error, or a corrupt block met by a read.
 */
export const STORAGE_IO_ERROR = 'StorageIoError';
export const STORAGE_CORRUPTION_ERROR = 'StorageCorruption';
const STORAGE_ERROR_NAMES: ReadonlySet<string> = new Set([STORAGE_IO_ERROR, STORAGE_CORRUPTION_ERROR]);

/**
 * Whether `error` (or its cause) is an I/O failure of the storage under the journal, not a refusal of a
 * request: a file system error code, or the local database's answer to one.
 * @example
 * isStorageIoError(Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR' })); // true
 */
export function isStorageIoError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && IO_ERROR_CODES.has(code)) return true;
    if (STORAGE_ERROR_NAMES.has(e.name)) return true;
  }
  return false;
}
