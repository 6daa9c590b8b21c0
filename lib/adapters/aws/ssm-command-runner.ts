/**
 * CommandRunner on SSM Run Command: one `AWS-RunShellScript` command per batch of ≤ 50 instances, results
 * reported asynchronously by SSM's status events (see ssm-status-event.ts) or by `poll` for the reconciler.
 * No output bucket (and no CloudWatch output): SSM returns each invocation's output itself, and the script
 * keeps a copy on the host of an output too long for that (ssm-kept-output.ts), copied to S3 only then.
 *
 * A command carries one script for every host of the batch, yet each host needs its own environment
 * (FLEETBENCH_SEED differs per task): the script starts with a `case` on `$AWS_SSM_INSTANCE_ID` (set by the
 * SSM agent) that exports the host's values, then the common exports, then the step's script. Every value
 * is single-quoted (lib/core/shell.ts), so nothing a plan holds is ever interpreted by the shell.
 */
import {
  CancelCommandCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { UsageError } from '../../core/errors.js';
import type { CommandRequest, CommandRunner } from '../../core/ports.js';
import type { CommandRecord, Host, InvocationResult } from '../../core/run.js';
import { envExports, shellQuote } from '../../core/shell.js';
import {
  chunk,
  isThrottling,
  named,
  type RetryOverrides,
  type RetryPolicy,
  retryPolicy,
  withRetry,
} from './retry.js';
import { commandComment, listInvocations, toInvocationResult } from './ssm-invocations.js';
import { keepingOutput } from './ssm-kept-output.js';

/** SendCommand and CancelCommand take at most 50 instance ids. */
export const SSM_BATCH_SIZE = 50;
/** SSM's executionTimeout ceiling (48 h); TimeoutSeconds (delivery) has the floor of 30 s. */
export const MAX_EXECUTION_TIMEOUT_SECONDS = 172_800;
const MIN_DELIVERY_TIMEOUT_SECONDS = 30;
const DOCUMENT = 'AWS-RunShellScript';
/** Exit code of a script that could not tell which host it runs on (agent without AWS_SSM_INSTANCE_ID). */
const UNKNOWN_INSTANCE_EXIT = 97;

export type SsmCommandRunnerOptions = {
  readonly ssm: SSMClient;
  readonly retry?: RetryOverrides;
};

/**
 * @example
 * const runner = new SsmCommandRunner({ ssm: clients.ssm });
 * const { providerIds } = await runner.send(request); // one SSM CommandId per 50 hosts
 */
export class SsmCommandRunner implements CommandRunner {
  readonly #ssm: SSMClient;
  readonly #retry: RetryPolicy;

  constructor(options: SsmCommandRunnerOptions) {
    this.#ssm = options.ssm;
    this.#retry = retryPolicy(options.retry);
  }

  async send(request: CommandRequest): Promise<{ providerIds: string[] }> {
    if (!(request.timeoutSeconds > 0 && request.timeoutSeconds <= MAX_EXECUTION_TIMEOUT_SECONDS)) {
      throw new UsageError(`timeout ${request.timeoutSeconds}s is outside SSM's limit of 48 h`, {
        hint: 'lower timeouts.task or the workload timeout in the plan',
      });
    }
    const providerIds: string[] = [];
    try {
      for (const batch of chunk(request.hosts, SSM_BATCH_SIZE)) {
        const out = await withRetry(
          () => this.#ssm.send(new SendCommandCommand(sendCommandInput(request, batch))),
          isThrottling,
          this.#retry,
        );
        const id = out.Command?.CommandId;
        if (!id) throw new Error(`SendCommand returned no CommandId for ${request.commandId}`);
        providerIds.push(id);
      }
    } catch (error) {
      // Nothing records a half-sent step: stop what was sent, so a retry starts from a clean slate.
      await Promise.allSettled(
        providerIds.map((id) => this.#ssm.send(new CancelCommandCommand({ CommandId: id }))),
      );
      throw error;
    }
    return { providerIds };
  }

  async cancel(
    command: Pick<CommandRecord, 'runId' | 'commandId' | 'providerIds'>,
    hosts: readonly Host[],
  ): Promise<void> {
    const wanted = new Set(hosts.map((h) => h.id));
    if (wanted.size === 0) return;
    for (const providerId of command.providerIds) {
      // Each SSM command holds one batch: cancel only the wanted hosts it actually targets.
      const targets = await this.#targets(providerId);
      if (targets === undefined) continue;
      const ids = targets.filter((id) => wanted.has(id));
      for (const batch of chunk(ids, SSM_BATCH_SIZE)) {
        await this.#cancel(providerId, batch);
      }
    }
  }

  async poll(command: CommandRecord): Promise<InvocationResult[]> {
    const ours = new Set(command.hosts.map((h) => h.id));
    const results: InvocationResult[] = [];
    for (const providerId of command.providerIds) {
      for (const invocation of await listInvocations(this.#ssm, providerId, this.#retry)) {
        if (!ours.has(invocation.InstanceId ?? '')) continue;
        const result = toInvocationResult(invocation, command);
        if (result) results.push(result);
      }
    }
    return results;
  }

  async #targets(providerId: string): Promise<string[] | undefined> {
    try {
      const out = await withRetry(
        () => this.#ssm.send(new ListCommandsCommand({ CommandId: providerId })),
        isThrottling,
        this.#retry,
      );
      return out.Commands?.[0]?.InstanceIds ?? [];
    } catch (error) {
      // An expired command (SSM keeps them 30 days) has nothing left to cancel.
      if (named('InvalidCommandId')(error)) return undefined;
      throw error;
    }
  }

  async #cancel(providerId: string, instanceIds: readonly string[]): Promise<void> {
    try {
      await withRetry(
        () =>
          this.#ssm.send(new CancelCommandCommand({ CommandId: providerId, InstanceIds: [...instanceIds] })),
        isThrottling,
        this.#retry,
      );
    } catch (error) {
      if (named('InvalidCommandId')(error)) return;
      throw error;
    }
  }
}

/** The SendCommand request of one batch. Exported for tests and for `fleetbench show --debug`. */
export function sendCommandInput(request: CommandRequest, batch: readonly Host[]): SendCommandCommandInput {
  const concurrency = request.maxConcurrency;
  // SSM counts whole seconds; a sub-second plan timeout (500ms) still gets one.
  const execution = Math.max(1, Math.ceil(request.timeoutSeconds));
  // With MaxConcurrency below the batch, hosts start in waves: delivery must wait for the earlier waves.
  const waves = concurrency && concurrency > 0 ? Math.ceil(batch.length / concurrency) : 1;
  const delivery = Math.min(
    MAX_EXECUTION_TIMEOUT_SECONDS,
    Math.max(MIN_DELIVERY_TIMEOUT_SECONDS, execution * waves),
  );
  return {
    DocumentName: DOCUMENT,
    InstanceIds: batch.map((h) => h.id),
    Comment: commandComment(request.runId, request.commandId),
    Parameters: {
      commands: [hostScript(request, batch)],
      executionTimeout: [String(execution)],
    },
    TimeoutSeconds: delivery,
    // Every host runs unless the plan limits it: the failure policy, not SSM, decides what a failure means.
    MaxConcurrency: concurrency ? String(concurrency) : '100%',
    MaxErrors: request.maxErrors !== undefined ? String(request.maxErrors) : '100%',
    CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
  };
}

/**
 * The one script every host of a batch runs: its own exports (selected by instance id), the common
 * exports, then the step's script, keeping a copy of an output too long for SSM to return
 * (ssm-kept-output.ts).
 * @example
 * hostScript({ ...request, env: { A: '1' }, hostEnv: { 'i-1': { FLEETBENCH_SEED: '7' } }, script: 'run' }, [{ id: 'i-1', name: 'h1' }]);
 * // case "$AWS_SSM_INSTANCE_ID" in
 * // i-1)
 * // export FLEETBENCH_SEED='7'
 * // ;;
 * // *) … exit 97 ;;
 * // esac
 * // export A='1'
 * // __fb_keep='/var/tmp/fleetbench-outputs/…' … ( run ) … exit $__fb_rc
 */
export function hostScript(
  request: Pick<CommandRequest, 'runId' | 'commandId' | 'env' | 'hostEnv' | 'script'>,
  batch: readonly Host[],
): string {
  const lines: string[] = [];
  const withEnv = batch.filter((h) => Object.keys(request.hostEnv[h.id] ?? {}).length > 0);
  if (withEnv.length > 0) {
    lines.push('case "$AWS_SSM_INSTANCE_ID" in');
    for (const host of withEnv) {
      lines.push(`${shellQuote(host.id)})`, envExports(request.hostEnv[host.id] ?? {}), ';;');
    }
    lines.push(
      `*) echo "fleetbench: this host (\${AWS_SSM_INSTANCE_ID:-AWS_SSM_INSTANCE_ID unset}) is not in the command; update the SSM agent" >&2; exit ${UNKNOWN_INSTANCE_EXIT} ;;`,
      'esac',
    );
  }
  const common = envExports(request.env);
  if (common) lines.push(common);
  lines.push(keepingOutput(request.runId, request.commandId, request.script));
  return lines.join('\n');
}
