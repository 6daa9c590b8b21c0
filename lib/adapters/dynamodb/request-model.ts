/**
 * The request model: every DynamoDB request a run makes, counted from the use cases (lib/app) and the
 * repositories beside it, with the request units DynamoDB bills for each. It lives with the repositories
 * because it is their knowledge (which item each call reads or writes, and how large it is); the cost
 * projection (core/projection/cost.ts) takes it as its `requests`, and the bench checks it against the
 * requests a real run sends to dynalite (bench/lib/aws-path.ts).
 */
import type { Plan } from '../../core/plan.js';
import type { DynamoRequest } from '../../core/projection/cost.js';
import { COST_ASSUMPTIONS, type ItemBytes } from '../../core/projection/cost-assumptions.js';
import { type RunShape, runCommandSteps } from '../../core/projection/run-shape.js';

const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/**
 * Every DynamoDB request a run makes, counted from the use cases (lib/app) and the repositories
 * (journal-repo.ts and catalog-repo.ts here): strongly consistent reads (the repositories always ask for them),
 * 1 read unit per 4 KB and 1 write unit per 1 KB of the larger of the old and new item.
 * No item grows with the fleet while hosts answer: a command's hosts and outcomes are items of their own.
 */
export function dynamoRequests(
  shape: RunShape & { readonly hosts: number },
  strategy: Plan['strategy'] = 'lockstep',
  itemBytes: ItemBytes = COST_ASSUMPTIONS.itemBytes,
): DynamoRequest[] {
  const b = itemBytes;
  const H = shape.hosts;
  const totalTasks = H * shape.workloads.reduce((n, w) => n + w.reps, 0);
  const meta = b.metaBase + H * (b.host + b.planHostId);
  const catalog = b.catalogBase + H * b.catalogPerHost;
  const containers = Math.min(H, COST_ASSUMPTIONS.statusContainers);
  /** A command for `n` hosts: its SSM batches, its `CMD#` summary (with provider ids) and `CMDH#` parts. */
  const commandOf = (n: number) => {
    const batches = Math.ceil(n / COST_ASSUMPTIONS.ssmBatchSize);
    let partUnits = 0;
    for (let first = 0; first < n; first += COST_ASSUMPTIONS.ssmBatchSize) {
      partUnits += writeUnits(Math.min(COST_ASSUMPTIONS.ssmBatchSize, n - first) * b.host);
    }
    return { batches, header: b.commandBase + b.taskToken + batches * b.providerId, partUnits };
  };
  const rows = new Map<string, { calls: number; readUnits: number; writeUnits: number; index: number }>();
  const add = (
    useCase: string,
    request: string,
    units: { r?: number; w?: number; gsi?: number },
    calls = 1,
  ) => {
    const key = `${useCase}\0${request}`;
    const row = rows.get(key) ?? { calls: 0, readUnits: 0, writeUnits: 0, index: 0 };
    row.calls += calls;
    row.readUnits += units.r ?? 0;
    row.writeUnits += units.w ?? 0;
    row.index += units.gsi ?? 0;
    rows.set(key, row);
  };
  /** controller.changeState: read the catalog, move the state, count the audit trail, append to it. */
  let stateRecords = 1;
  const changeState = (useCase: string) => {
    add(useCase, 'changeState: catalog GetItem', { r: readUnits(catalog) });
    add(useCase, 'changeState: catalog UpdateItem state', {
      w: writeUnits(catalog),
      gsi: writeUnits(catalog),
    });
    add(useCase, 'changeState: journal Query STATE#', { r: readUnits(stateRecords * b.stateRecord) });
    add(useCase, 'changeState: journal PutItem STATE#', { w: writeUnits(b.stateRecord) });
    stateRecords += 1;
  };
  const loadRun = (useCase: string, calls = 1) => {
    add(useCase, 'loadRun: journal GetItem META', { r: calls * readUnits(meta) }, calls);
    add(useCase, 'loadRun: catalog GetItem', { r: calls * readUnits(catalog) }, calls);
  };
  let completed = 0;
  const runTasks = () => completed * b.taskCompleted + (totalTasks - completed) * b.taskPending;
  /** recountTasks: every task of the run read back, the counts set on the catalog. */
  const recount = (useCase: string, request: string, times = 1) => {
    add(useCase, `${request} (Query all TASK#)`, { r: times * readUnits(runTasks()) }, times);
    add(useCase, 'catalog UpdateItem counts', { w: writeUnits(catalog), gsi: writeUnits(catalog) });
  };

  // plan-run: META, catalog entry (with the counts), first audit record, every task PENDING (BatchWriteItem,
  // ≥ 1 unit per item).
  add('plan-run', 'journal PutItem META', { w: writeUnits(meta) });
  add('plan-run', 'catalog PutItem', { w: writeUnits(catalog), gsi: writeUnits(catalog) });
  add('plan-run', 'journal PutItem STATE#', { w: writeUnits(b.stateRecord) });
  add(
    'plan-run',
    'journal BatchWriteItem TASK# (PENDING)',
    { w: totalTasks * writeUnits(b.taskPending) },
    Math.ceil(totalTasks / 25),
  );

  let doneCommands = 0;
  let doneHeaders = 0;
  for (const step of runCommandSteps(shape)) {
    // In free a workload's steps are each host's own: H one-host commands instead of one for the fleet.
    const perHost = strategy === 'free' && step.phase !== 'globalSetup' && step.phase !== 'globalTeardown';
    const commands = perHost ? H : 1;
    const n = perHost ? 1 : H;
    const { batches, header, partUnits } = commandOf(n);
    // run-command: META is read once by each warm container (the journal caches it per attempt): one for
    // lockstep's steps, which follow each other, a pool of them for free's concurrent host steps.
    if (doneCommands === 0 && step.phase === 'globalSetup') {
      const warm = strategy === 'free' ? containers : 1;
      add('run-command', 'journal GetItem META (once per container)', { r: warm * readUnits(meta) }, warm);
    }
    add('run-command', 'loadRun: catalog GetItem', { r: commands * readUnits(catalog) }, commands);
    if (step.changesState) changeState('run-command');
    // A workload setup or teardown that sends reads who failed global setup; a teardown also looks up the
    // workload's commands by id (BatchGetItem: 1 read unit per item found).
    if ((step.phase === 'setup' || step.phase === 'teardown') && step.sends) {
      add(
        'run-command',
        'journal BatchGetItem CMD# (global setup)',
        { r: commands * (shape.globalSetup > 0 ? 1 : 0) },
        commands,
      );
    }
    if (step.phase === 'teardown' && step.sends && step.lookups) {
      const calls = commands * Math.ceil(step.lookups.ids / 100);
      add(
        'run-command',
        "journal BatchGetItem CMD# (the workload's commands)",
        {
          r: commands * step.lookups.found,
        },
        calls,
      );
    }
    if (step.phase === 'repetition') {
      if (perHost) add('run-command', "journal GetItem TASK# (the host's)", { r: commands }, commands);
      else add('run-command', 'journal Query TASK# of the repetition', { r: readUnits(H * b.taskPending) });
    }
    if (!step.sends) continue;
    add('run-command', 'journal PutItem CMD#', { w: commands * writeUnits(header) }, commands);
    add(
      'run-command',
      'journal BatchWriteItem CMDH# (hosts, 50 a part)',
      { w: commands * partUnits },
      commands * Math.ceil(Math.ceil(n / COST_ASSUMPTIONS.ssmBatchSize) / 25),
    );
    if (step.phase === 'repetition') {
      add(
        'run-command',
        'journal BatchWriteItem TASK# (RUNNING)',
        { w: H * writeUnits(b.taskRunning) },
        commands * Math.ceil(n / 25),
      );
    }
    add('run-command', 'journal UpdateItem CMD# providerIds', { w: commands * writeUnits(header) }, commands);
    add(
      'run-command',
      'journal BatchWriteItem PROVIDER# (SSM command id → command)',
      { w: commands * batches * writeUnits(b.providerItem) },
      commands * Math.ceil(batches / 25),
    );
    // Every status event (one per host, one per SSM command) is first matched to a fleetbench command: the
    // rules see every AWS-RunShellScript command of the account.
    add(
      'on-invocation-status',
      "journal GetItem PROVIDER# (is the command fleetbench's?)",
      { r: commands * (n + batches) * readUnits(b.providerItem) },
      commands * (n + batches),
    );

    // on-invocation-status, once per host (per-instance status event), spread over warm containers: each
    // reads a command's spec once (in free every command is new to it), META once per run.
    const specReads = perHost ? commands : containers;
    add(
      'on-invocation-status',
      'journal GetItem CMD# + Query CMDH# (spec, once per container)',
      { r: specReads * (readUnits(header) + readUnits(n * b.host)) },
      2 * specReads,
    );
    if (doneCommands === 0) {
      add(
        'on-invocation-status',
        'journal GetItem META (once per container)',
        { r: containers * readUnits(meta) },
        containers,
      );
    }
    // A repetition's outcomes are its tasks; other steps write one outcome item per host.
    const outcomes = step.phase === 'repetition' ? n * b.taskCompleted : n * b.outcome;
    const outcomesRead =
      step.phase !== 'repetition'
        ? 'Query CMDO#'
        : perHost
          ? "GetItem TASK# (the host's)"
          : 'Query TASK# of the repetition';
    // Each host's output, as SSM returned it, is kept in the journal (a copied one is in S3 instead).
    add(
      'on-invocation-status',
      'journal PutItem OUT# (the output SSM returned)',
      { w: H * (1 - COST_ASSUMPTIONS.copiedOutputShare) * writeUnits(b.keptOutput) },
      H * (1 - COST_ASSUMPTIONS.copiedOutputShare),
    );
    for (let i = 0; i < H; i += 1) {
      if (step.phase === 'repetition') {
        add('on-invocation-status', 'journal UpdateItem TASK# result', { w: writeUnits(b.taskCompleted) });
        completed += 1;
      } else {
        add('on-invocation-status', 'journal PutItem CMDO# (outcome)', { w: writeUnits(b.outcome) });
      }
      add('on-invocation-status', 'journal UpdateItem CMD# answered', { w: writeUnits(header) });
    }
    // ... the last host of each command reads the outcomes (its spec is cached), closes the command and, for
    // a repetition, adds to the counts.
    add(
      'on-invocation-status',
      `completeStep: journal ${outcomesRead}`,
      { r: commands * readUnits(outcomes) },
      commands,
    );
    add(
      'on-invocation-status',
      'completeStep: journal UpdateItem CMD# DONE',
      { w: commands * writeUnits(header) },
      commands,
    );
    // The spec is cached, but a retried step may have replaced the token: read the current one.
    add(
      'on-invocation-status',
      'completeStep: journal BatchGetItem CMD# (current token)',
      { r: commands * readUnits(header) },
      commands,
    );
    add(
      'on-invocation-status',
      'completeStep: catalog GetItem',
      { r: commands * readUnits(catalog) },
      commands,
    );
    if (step.phase === 'repetition') {
      add(
        'on-invocation-status',
        'completeStep: catalog UpdateItem ADD counts',
        { w: commands * writeUnits(catalog), gsi: commands * writeUnits(catalog) },
        commands,
      );
    }
    // the per-command status events (one per SSM command, i.e. per batch) read the command back.
    add(
      'on-invocation-status',
      `command event: journal GetItem CMD# + ${outcomesRead}`,
      { r: commands * batches * (readUnits(header) + readUnits(outcomes)) },
      2 * commands * batches,
    );
    doneCommands += commands;
    doneHeaders += commands * header;
  }

  // finalize-run
  loadRun('finalize-run');
  add('finalize-run', 'journal Query CMD#', { r: readUnits(doneHeaders) });
  add('finalize-run', 'journal Query all TASK# (RUNNING left)', { r: readUnits(runTasks()) });
  recount('finalize-run', 'recountTasks');
  changeState('finalize-run');

  return [...rows].map(([key, row]) => {
    const [useCase = '', request = ''] = key.split('\0');
    return {
      useCase,
      request,
      calls: row.calls,
      readUnits: row.readUnits,
      writeUnits: row.writeUnits,
      indexWriteUnits: row.index,
    };
  });
}
