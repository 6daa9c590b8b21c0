/**
 * What one doctor check reports, shared by the checks of every target (doctor-checks.ts, doctor-aws.ts)
 * and the command that prints them, so the target modules need not import each other.
 */

export type CheckStatus = 'OK' | 'MISSING' | 'FAILED';

export type DoctorCheck = {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** The command that fixes it, when there is one. */
  readonly fix?: string;
  /** Packages to install, so the CLI can print one install line for everything missing. */
  readonly packages?: readonly string[];
};
