/**
 * The embedded engine, the local target's composition root (as lambdas/ is the aws target's): the one place
 * that builds the local adapters and binds them to the use cases. It runs `statemachines/run.asl.json` with
 * aws-local-stepfunctions and binds every Task state to the same lib/app use case its Lambda runs on aws. The journal and catalog are the DynamoDB
 * repositories over an embedded dynalite; hosts are local workers; task tokens are promises.
 *
 * It also plays the parts EventBridge plays on aws: it feeds each host's result to on-invocation-status,
 * and it watches the catalog for a stop request (from Ctrl+C or `fleetbench stop` in another terminal) and
 * hands it to the stop coordinator.
 *
 * What only a run uses — the interpreter, and the use cases that read plans and parse outputs (the plan
 * schema, the plugins, zod) — is imported by the first `start()`, not with this module: the commands that
 * open the engine only to read or stop runs (`runs`, `status`, `stop`) never load it (docs/performance.md).
 */
import '../adapters/local/polyfills.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { StateMachine } from 'aws-local-stepfunctions';
import { DynamoCatalogRepo } from '../adapters/dynamodb/catalog-repo.js';
import { DynamoJournalRepo } from '../adapters/dynamodb/journal-repo.js';
import { damageHint } from '../adapters/local/database-damage.js';
import { LOCAL_TABLES, type LocalDatabase, openLocalDatabase } from '../adapters/local/embedded-dynalite.js';
import { fileLogger } from '../adapters/local/file-logger.js';
import { JsonlEventPublisher } from '../adapters/local/jsonl-event-publisher.js';
import { killLeftoverProcesses } from '../adapters/local/leftover-processes.js';
import { LocalCommandRunner } from '../adapters/local/local-command-runner.js';
import { LocalHostProvider } from '../adapters/local/local-host-provider.js';
import { LocalOutputStore } from '../adapters/local/local-output-store.js';
import { LocalTaskCallbacks } from '../adapters/local/local-task-callbacks.js';
import { isPidAlive } from '../adapters/local/process-alive.js';
import { localRunFiles, saveRunMeta } from '../adapters/local/run-files.js';
import {
  type AslDefinition,
  loadRunDefinition,
  taskFunctions,
} from '../adapters/local/workflow-definition.js';
import { systemClock } from '../adapters/system-clock.js';
import { changeState } from '../app/controller.js';
import type { PlanRunInput, PlanRunOutput } from '../app/plan-run.js';
import { reconcileLocalRuns } from '../app/reconcile.js';
import type { RunCommandInput } from '../app/run-command.js';
import { findRunDamage } from '../app/run-damage.js';
import { coordinateStop, requestStop, settleForcedStop } from '../app/stop-run.js';
import type { CloudEvent } from '../core/cloudevents.js';
import { DatabaseDamagedError, isStorageIoError, JournalUnavailableError } from '../core/errors.js';
import type { Deps, JournalRepo, Logger } from '../core/ports.js';
import type { CatalogEntry, InvocationResult, Phase, RunMeta } from '../core/run.js';
import { stepDeadlineSeconds } from '../core/step-deadline.js';

export type EngineOptions = {
  readonly dataDir: string;
  readonly debug?: boolean;
  /** SIGTERM → SIGKILL grace when cancelling a command, in ms. */
  readonly graceMs?: number;
  readonly definition?: AslDefinition;
  /**
   * Wraps the journal repository: how tests make the journal fail (a full disk, a write the store refuses)
   * at a chosen request while everything else runs the real path.
   */
  readonly wrapJournal?: (journal: JournalRepo) => JournalRepo;
};

/** What the CLI sees of a running execution. */
export type StepInfo = { readonly phase: Phase; readonly workload?: string; readonly rep?: number };
export type RunHandle = {
  /** Resolves as soon as PlanRun has created (or loaded) the run. */
  readonly started: Promise<PlanRunOutput>;
  /** Resolves with the final catalog entry when the execution ends. */
  readonly done: Promise<CatalogEntry>;
  requestStop(by: string, options?: { force?: boolean; reason?: string }): Promise<void>;
};

type Execution = ReturnType<StateMachine['run']>;

/** What only a run needs, imported together by the first start() of the process (loadRunModules). */
type RunModules = {
  readonly StateMachine: typeof StateMachine;
  readonly planRun: typeof import('../app/plan-run.js').planRun;
  readonly runCommand: typeof import('../app/run-command.js').runCommand;
  readonly onInvocationStatus: typeof import('../app/on-invocation-status.js').onInvocationStatus;
  readonly expireStep: typeof import('../app/expire-step.js').expireStep;
  readonly finalizeRun: typeof import('../app/finalize-run.js').finalizeRun;
  readonly teardownWithoutJournal: typeof import('../app/teardown-without-journal.js').teardownWithoutJournal;
};

/** How often the engine looks for a stop request written by another process. */
const STOP_POLL_MS = 100;
/** setTimeout's limit (~24.8 days); a plan's timeouts stay far below it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LocalEngine {
  private constructor(
    readonly db: LocalDatabase,
    readonly deps: Deps,
    private readonly callbacks: LocalTaskCallbacks,
    private readonly publisher: JsonlEventPublisher,
    private readonly options: EngineOptions,
  ) {}

  /** Opens the data directory's database and builds the adapters. Reads need no runner, so it is created per run. */
  static async open(options: EngineOptions): Promise<LocalEngine> {
    const db = await openLocalDatabase(options.dataDir);
    const logger: Logger = fileLogger(options.dataDir, { echo: options.debug === true });
    const publisher = new JsonlEventPublisher(options.dataDir);
    const callbacks = new LocalTaskCallbacks();
    const wrapJournal = options.wrapJournal ?? ((journal: JournalRepo) => journal);
    const deps: Deps = {
      journal: wrapJournal(new DynamoJournalRepo({ client: db.doc, tableName: LOCAL_TABLES.journal })),
      catalog: new DynamoCatalogRepo({ client: db.doc, tableName: LOCAL_TABLES.catalog }),
      runner: unavailableRunner,
      outputs: new LocalOutputStore(),
      hosts: new LocalHostProvider(),
      callbacks,
      events: publisher,
      clock: systemClock,
      logger,
      target: 'local',
    };
    const engine = new LocalEngine(db, deps, callbacks, publisher, options);
    // Before the reconciler fails runs whose engine is gone: a run the database forgot it had finished
    // would be turned FAILED without a word.
    const damage = await findRunDamage(deps, localRunFiles(options.dataDir)).catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    if (damage.length > 0) {
      await db.close();
      const [first] = damage;
      throw new DatabaseDamagedError(
        `the local database in ${options.dataDir} lost what runs recorded: run ${first?.runId} ${first?.problem}` +
          (damage.length > 1 ? ` (and ${damage.length - 1} more runs)` : ''),
        { hint: damageHint(join(options.dataDir, 'db')) },
      );
    }
    const { failed } = await reconcileLocalRuns(deps, { thisHost: hostname(), isPidAlive });
    for (const { runId } of failed) {
      const groups = await killLeftoverProcesses(runId);
      if (groups.length > 0)
        logger.warn('stopped commands left by a dead engine', { runId, processGroups: groups });
    }
    return engine;
  }

  /** This process, as recorded on the runs it drives. */
  static identity(): string {
    return `${process.pid}@${hostname()}`;
  }

  subscribe(listener: (event: CloudEvent) => void): () => void {
    return this.publisher.subscribe(listener);
  }

  /**
   * Starts an execution of the run workflow.
   * @example
   * const run = engine.start({ plan }, { onStep: (s) => console.error(s.phase) });
   * const { runId } = await run.started;
   * const final = await run.done;
   */
  start(input: PlanRunInput, hooks: { onStep?: (step: StepInfo) => void } = {}): RunHandle {
    let draining = Promise.resolve();
    const runner = new LocalCommandRunner({
      dataDir: this.options.dataDir,
      ...(this.options.graceMs !== undefined ? { graceMs: this.options.graceMs } : {}),
      onResult: (r) => {
        // Results are applied one at a time, in arrival order, like a FIFO event target.
        draining = draining.then(() => this.apply(deps, r, loseJournal));
      },
    });
    const deps: Deps = { ...this.deps, runner };
    const engineId = LocalEngine.identity();
    let resolveStarted!: (o: PlanRunOutput) => void;
    let rejectStarted!: (e: unknown) => void;
    const started = new Promise<PlanRunOutput>((res, rej) => {
      resolveStarted = res;
      rejectStarted = rej;
    });
    started.catch(() => undefined);
    let startSettled = false;
    const settleStarted = (settle: () => void) => {
      startSettled = true;
      settle();
    };

    /** Workloads whose steps ran in this execution: what a teardown without the journal has to undo. */
    const startedWorkloads = new Set<string>();
    let plannedMeta: RunMeta | undefined;
    let resolveJournalLost!: (error: unknown) => void;
    const journalLost = new Promise<unknown>((resolve) => {
      resolveJournalLost = resolve;
    });
    let lost = false;
    const loseJournal = (error: unknown) => {
      if (lost) return;
      lost = true;
      resolveJournalLost(error);
    };
    const modules = loadRunModules();
    const definition = this.options.definition ?? loadRunDefinition();
    const handlers: Record<string, (input: { Payload: Record<string, unknown> }) => Promise<unknown>> = {};
    const bound: Record<string, (input: { Payload: Record<string, unknown> }) => Promise<unknown>> = {};
    for (const [state, fn] of taskFunctions(definition)) {
      // A step that meets a journal it cannot write never settles: the engine tears down without it.
      bound[state] = (input) =>
        (handlers[state] as NonNullable<(typeof handlers)[string]>)(input).catch((error: unknown) => {
          if (!isStorageIoError(error)) throw error;
          loseJournal(error);
          return new Promise<never>(() => undefined);
        });
      handlers[state] = async ({ Payload }) => {
        if (fn.includes('PlanRun')) {
          try {
            const { planRun } = await modules;
            const out = await planRun(deps, { ...(Payload.input as PlanRunInput), engine: engineId });
            // A step never starts beside an earlier incarnation of itself: whatever an earlier attempt left
            // running (a command that outlived its engine) is stopped first.
            if (out.attempt > 1) await killLeftoverProcesses(out.runId, { beforeAttempt: out.attempt });
            // Kept for a teardown without the journal, should it become unwritable (a full disk) later.
            plannedMeta = await deps.journal.getRun(out.runId, { attempt: out.attempt });
            if (plannedMeta) await saveRunMeta(this.options.dataDir, plannedMeta);
            settleStarted(() => resolveStarted(out));
            return { Payload: out };
          } catch (error) {
            settleStarted(() => rejectStarted(error));
            throw error;
          }
        }
        if (fn.includes('FinalizeRun')) {
          const { finalizeRun } = await modules;
          return { Payload: await finalizeRun(deps, Payload as Parameters<RunModules['finalizeRun']>[1]) };
        }
        if (fn.includes('RunCommand')) {
          const step = Payload as unknown as RunCommandInput;
          if (step.workload !== undefined) startedWorkloads.add(step.workload);
          hooks.onStep?.({
            phase: step.phase,
            ...(step.workload !== undefined ? { workload: step.workload } : {}),
            ...(step.rep !== undefined ? { rep: step.rep } : {}),
          });
          const { token, completion } = this.callbacks.issue();
          const { runCommand } = await modules;
          const sent = await runCommand(deps, { ...step, taskToken: token });
          if (sent.commandId === null) return completion;
          const backstop = await this.backstop(deps, step, sent, token);
          return completion.finally(() => clearTimeout(backstop));
        }
        throw new Error(`no local binding for ${fn} (state ${state})`);
      };
    }

    const execution = modules.then(({ StateMachine }) =>
      runWorkflow(StateMachine, definition, input, bound, engineId),
    );
    // Without an interpreter (it failed to load) the run was never planned.
    execution.catch((error: unknown) => {
      if (!startSettled) settleStarted(() => rejectStarted(error));
    });
    const abort = () =>
      void execution.then(
        (running) => running.abort(),
        () => undefined,
      );

    let stopWatch: NodeJS.Timeout | undefined;
    /** The graceful stop under way, awaited before the run is reported so it never outlives the journal. */
    let coordination: Promise<unknown> | undefined;
    let forced = false;
    let polling = false;
    const watchStops = (runId: string) => {
      stopWatch = setInterval(async () => {
        if (forced || polling) return;
        polling = true;
        try {
          const entry = await deps.catalog.get(runId).catch(() => undefined);
          if (!entry?.stopRequest) return;
          if (entry.stopRequest.force) {
            // Also after a graceful stop is under way: a forced request escalates it.
            forced = true;
            await this.forceStop(deps, runner, runId, entry, abort);
          } else if (coordination === undefined) {
            coordination = coordinateStop(deps, runId).catch((e: unknown) =>
              deps.logger.error('stop coordination failed', { runId, error: String(e) }),
            );
          }
        } finally {
          polling = false;
        }
      }, STOP_POLL_MS);
    };
    started.then(
      (o) => watchStops(o.runId),
      () => undefined,
    );

    const finished = (async (): Promise<CatalogEntry> => {
      try {
        await (await execution).result.catch((error: unknown) => {
          // A Fail state (PlanRejected, RunNotFinished) ends the execution "failed"; the catalog has the truth.
          deps.logger.info('execution ended', { error: String(error) });
        });
        // Aborted because the journal was lost: the teardown without it ends the run.
        if (lost) return await new Promise<never>(() => undefined);
        if (!startSettled)
          settleStarted(() => rejectStarted(new Error('the workflow ended before the run was planned')));
        await draining;
        const runId = (await started).runId;
        // Once the workflow ended every command is closed, so the coordinator ends within a poll; a forced
        // stop aborted the workflow and settles the run itself.
        if (forced) await settleForcedStop(deps, runId);
        else await coordination;
        const entry = await deps.catalog.get(runId);
        if (!entry) throw new Error(`run ${runId} vanished from the catalog`);
        return entry;
      } finally {
        if (stopWatch) clearInterval(stopWatch);
        await runner.close();
      }
    })();
    const abandoned = journalLost.then(async (error): Promise<never> => {
      if (stopWatch) clearInterval(stopWatch);
      abort();
      throw await this.teardownWithoutJournal(runner, plannedMeta, [...startedWorkloads], error);
    });
    const done = Promise.race([finished, abandoned]);
    done.catch(() => undefined);

    return {
      started,
      done,
      requestStop: async (by, options = {}) => {
        const { runId } = await started;
        await requestStop(deps, {
          runId,
          requestedBy: by,
          ...(options.reason !== undefined ? { reason: options.reason } : {}),
          ...(options.force !== undefined ? { force: options.force } : {}),
        });
      },
    };
  }

  /** Arms the step's deadline: past it, the step is failed whatever happened to its hosts' answers. */
  private async backstop(
    deps: Deps,
    step: RunCommandInput,
    sent: { commandId: string; hosts: number },
    taskToken: string,
  ): Promise<NodeJS.Timeout | undefined> {
    const meta = await deps.journal.getRun(
      step.runId,
      step.attempt === undefined ? {} : { attempt: step.attempt },
    );
    if (meta === undefined) return undefined;
    const deadlineSeconds = stepDeadlineSeconds(meta.plan, { ...step, hosts: sent.hosts });
    return setTimeout(
      () =>
        void loadRunModules().then(({ expireStep }) =>
          expireStep(deps, { runId: step.runId, commandId: sent.commandId, taskToken, deadlineSeconds }),
        ),
      Math.min(deadlineSeconds * 1000, MAX_TIMER_MS),
    );
  }

  /**
   * Feeds one host result to on-invocation-status; a failure here must not stall the run, so it is logged
   * (the step's deadline ends a step whose answer was lost), or, for an I/O error of the journal, reported.
   */
  private async apply(
    deps: Deps,
    result: InvocationResult,
    loseJournal: (error: unknown) => void,
  ): Promise<void> {
    try {
      const { onInvocationStatus } = await loadRunModules();
      await onInvocationStatus(deps, result);
    } catch (error) {
      deps.logger.error('could not record a host result', { ...result, error: String(error) });
      if (isStorageIoError(error)) loseJournal(error);
    }
  }

  /**
   * The journal cannot be written: kill the commands in flight, run the teardowns straight through a fresh
   * runner, and return the error that ends the run's command (the run stays resumable as the journal has it).
   */
  private async teardownWithoutJournal(
    runner: LocalCommandRunner,
    meta: RunMeta | undefined,
    workloads: string[],
    cause: unknown,
  ): Promise<JournalUnavailableError> {
    const why = cause instanceof Error ? cause.message : String(cause);
    this.deps.logger.error('the journal cannot be written: tearing down without it', { error: why });
    await runner.close();
    let problems: string[] = ['the run was not planned'];
    if (meta !== undefined) {
      const results = new ResultWaiters();
      const spare = new LocalCommandRunner({
        dataDir: this.options.dataDir,
        ...(this.options.graceMs !== undefined ? { graceMs: this.options.graceMs } : {}),
        onResult: (r) => results.add(r),
      });
      try {
        const { teardownWithoutJournal } = await loadRunModules();
        problems = await teardownWithoutJournal(
          { runner: spare, awaitResults: (id, hosts, ms) => results.wait(id, hosts, ms) },
          meta,
          workloads,
        );
      } finally {
        await spare.close();
      }
    }
    const runId = meta?.runId ?? '<runId>';
    // Best effort: where only the journal's own writes fail, the catalog still says why the run ended. If this
    // fails too, the next fleetbench command finds this engine gone and marks the run FAILED itself.
    if (meta !== undefined) {
      await changeState(this.deps, runId, {
        to: 'FAILED',
        reason: `the journal could not be written (${why}); resume with \`fleetbench resume ${runId}\``,
        finished: true,
      }).catch(() => undefined);
    }
    const torn = problems.length === 0 ? 'teardowns ran' : `teardowns attempted (${problems.join('; ')})`;
    return new JournalUnavailableError(
      `the journal in ${this.options.dataDir} cannot be written (${why}); ${torn}, nothing recorded since`,
      { hint: `fix the cause (free disk space), then \`fleetbench resume ${runId}\``, cause },
    );
  }

  /** Force stop: kill everything now, end the execution, and mark the run ABORTED. */
  private async forceStop(
    deps: Deps,
    runner: LocalCommandRunner,
    runId: string,
    entry: CatalogEntry,
    abort: () => void,
  ): Promise<void> {
    await runner.close();
    this.callbacks.failAll('Fleetbench.StopRequested', 'force stop');
    abort();
    deps.logger.warn('force stop', { runId, by: entry.stopRequest?.requestedBy });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** Results of the commands the teardown without journal sends, awaited by command id. */
class ResultWaiters {
  private readonly results: InvocationResult[] = [];
  private readonly listeners = new Set<() => void>();

  add(result: InvocationResult): void {
    this.results.push(result);
    for (const listener of this.listeners) listener();
  }

  wait(commandId: string, hosts: number, timeoutMs: number): Promise<InvocationResult[]> {
    const mine = () => this.results.filter((r) => r.commandId === commandId);
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(mine());
      };
      const check = () => {
        if (mine().length >= hosts) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}

let runModules: Promise<RunModules> | undefined;

/** Imports what only a run needs, once per process: the interpreter and the use cases of a run's steps. */
function loadRunModules(): Promise<RunModules> {
  runModules ??= Promise.all([
    import('aws-local-stepfunctions'),
    import('../app/plan-run.js'),
    import('../app/run-command.js'),
    import('../app/on-invocation-status.js'),
    import('../app/expire-step.js'),
    import('../app/finalize-run.js'),
    import('../app/teardown-without-journal.js'),
  ]).then(([interpreter, plan, command, status, expire, finalize, teardown]) => ({
    StateMachine: interpreter.StateMachine,
    planRun: plan.planRun,
    runCommand: command.runCommand,
    onInvocationStatus: status.onInvocationStatus,
    expireStep: expire.expireStep,
    finalizeRun: finalize.finalizeRun,
    teardownWithoutJournal: teardown.teardownWithoutJournal,
  }));
  return runModules;
}

/** Starts an execution of `definition` in aws-local-stepfunctions. */
function runWorkflow(
  StateMachine: RunModules['StateMachine'],
  definition: AslDefinition,
  input: PlanRunInput,
  handlers: Record<string, (input: { Payload: Record<string, unknown> }) => Promise<unknown>>,
  engineId: string,
): Execution {
  // No asl-validator pass per run (~300 ms of ajv): run.asl.json is validated by test/infra/asl.test.ts,
  // and a definition passed in (tests, the bench) is the caller's to validate.
  const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: {
      Execution: { Id: `local:${engineId}:${Date.now()}`, Input: input as never },
      Task: { Token: 'local' },
    },
    noThrowOnAbort: true,
  });
  // The interpreter queues every event (each with its state's input and output) until someone reads
  // them; nobody needs them here, so they are read and dropped, or the queue grows for the whole run.
  void drain(execution.eventLogs);
  return execution;
}

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) {
    // dropped
  }
}

const unavailableRunner: Deps['runner'] = {
  send: async () => {
    throw new Error('this engine has no command runner: start a run to run commands');
  },
  cancel: async () => undefined,
};
