/**
 * The name of the deployed stack when nobody names one: its own module, without the AWS SDK, because the
 * CLI shows it in `--help`, which must start fast.
 */

/** The stack name `cdk deploy` uses unless told otherwise (`-c stackName=…`). */
export const DEFAULT_STACK_NAME = 'Fleetbench';
