/**
 * What the cost projection assumes where the code does not decide (Lambda durations, warm containers,
 * item sizes), kept apart from the prices so each changes for its own reason.
 */
/**
 * What the cost projection assumes where the code does not decide. Lambda durations are estimates of
 * warm invocations (API round trips of 10–50 ms), not measurements on aws; item sizes are DynamoDB's
 * size rule applied to the records the repositories write, checked by the bench against dynalite.
 */
export const COST_ASSUMPTIONS = {
  /** FleetbenchFunction's default memory (lib/infra/fleetbench-function.ts). */
  lambdaMemoryMb: 512,
  lambdaMs: {
    planRunBase: 400,
    /** putTasks: BatchWriteItem of 25, 4 in flight, ~10 ms each. */
    planRunPerTask: 0.1,
    runCommandBase: 150,
    /** One SendCommand per batch of 50 hosts. */
    runCommandPerBatch: 60,
    runCommandPerHost: 0.05,
    /**
     * GetCommandInvocation + 3 DynamoDB writes + the output's PutItem + PutEvents (META and the command spec
     * are cached). Kept at what it was assumed with 2 S3 GETs in place of the PutItem.
     */
    onInvocationStatus: 150,
    /** Copying an output SSM cut to S3: a one-host SendCommand and its wait (`cat` of a file). */
    outputCopy: 3_000,
    /** The per-command event: ListCommandInvocations and one command read. */
    onCommandStatus: 80,
    finalizeRunBase: 300,
    finalizeRunPerTask: 0.02,
  },
  /** SSM Run Command: instances per SendCommand (lib/adapters/aws/ssm-command-runner.ts). */
  ssmBatchSize: 50,
  /**
   * Warm containers of the on-invocation-status function sharing a run's status events (round robin).
   * Each reads META once per attempt and a command's spec once per command (the journal caches both:
   * they never change), so the reads of large items grow with containers, not with hosts.
   */
  statusContainers: 10,
  /**
   * The share of invocations whose output SSM may have cut (≥ 22,000 bytes of stdout or 7,000 of stderr,
   * lib/adapters/aws/ssm-kept-output.ts): those are copied to S3 (2 PUTs, by the agent) and read back from it
   * (2 GETs); every other output is read from the invocation and kept in the journal (one OUT# item). 0 on
   * the happy path: a benchmark's report is a few hundred bytes to a few KB.
   */
  copiedOutputShare: 0,
  /** What the agent uploads for a copied output: stdout and stderr. */
  s3PutsPerCopiedOutput: 2,
  /** What on-invocation-status reads of a copied output: stdout and stderr. */
  s3GetsPerCopiedOutput: 2,
  /** START/END/REPORT lines, one Powertools line and one EMF blob per invocation. */
  logBytesPerInvocation: 1_200,
  /** The state machine logs level ALL with execution data (lib/infra/run-workflow.ts). */
  logBytesPerHistoryEvent: 1_000,
  /** X-Ray's default sampling rule keeps 1 request a second and 5% of the rest; bursts make it ~5%. */
  xraySampledFraction: 0.05,
  /**
   * DynamoDB item sizes in bytes (attribute names + values), fitted to the items the bench's aws-path run
   * leaves in dynalite at 10, 100 and 1,000 hosts (bench/lib/aws-path.ts).
   */
  itemBytes: {
    /** A host `{ id: 'i-0123456789abcdef0', name: <same>, address: '10.0.3.7' }` in META's and CMD#'s lists. */
    host: 68,
    /** The instance id again in META's plan snapshot (`hosts.instanceIds`). */
    planHostId: 20,
    /** One host's outcome item `CMDO#<command id>#<instance id>`: keys, host id, `{ status, exitCode, task }`. */
    outcome: 160,
    /** One SSM CommandId in CMD#'s `providerIds`. */
    providerId: 40,
    /** `PROVIDER#<CommandId>`: where an SSM command id points to its run and command. */
    providerItem: 150,
    /** META without hosts: the plan snapshot, its hash, dates. */
    metaBase: 500,
    /** CMD# without task token and provider ids: ids, phase, status, dates, counts. */
    commandBase: 280,
    /** A Step Functions task token, stored on CMD# (the local engine's are 42 bytes). */
    taskToken: 700,
    catalogBase: 300,
    /** A host name in the catalog's `hosts` list. */
    catalogPerHost: 20,
    /** A task written PENDING by putTasks. */
    taskPending: 240,
    /** A task written RUNNING by markRunning. */
    taskRunning: 260,
    /** A COMPLETED task with outputRef (an S3 URL) and two metrics. */
    taskCompleted: 500,
    stateRecord: 190,
    /**
     * A kept output `OUT#<command id>#<instance id>`: keys and ~300 bytes of stdout and stderr (a shell
     * plugin's JSON line, stress-ng's brief metrics). Assumed: outputs are the plan's; 1 write unit to 1 KB.
     */
    keptOutput: 400,
  },
} as const;

export type ItemBytes = { readonly [K in keyof typeof COST_ASSUMPTIONS.itemBytes]: number };
