/**
 * What every fleetbench Lambda shares: the Powertools logger and metrics, the AWS runtime (config,
 * clients, Deps) built once per cold start on first use, the middy stack, and input validation. Handlers
 * are thin: validate, call the lib/app use case, shape the result; their logic is a plain function taking
 * a runtime provider, so tests pass fakes and never touch middy or AWS.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { createAwsDeps } from '../lib/adapters/aws/aws-deps.js';
import { type AwsClients, type AwsConfig, loadConfig } from '../lib/adapters/aws/config.js';
import { FLEETBENCH_METRICS, MetricsEventPublisher } from '../lib/adapters/aws/metrics-event-publisher.js';
import { SfnExecutions } from '../lib/adapters/aws/sfn-executions.js';
import { SsmInvocationReader } from '../lib/adapters/aws/ssm-invocation-reader.js';
import { SsmStatusEvents } from '../lib/adapters/aws/ssm-status-event.js';
import { UsageError } from '../lib/core/errors.js';
import type { Deps, Logger } from '../lib/core/ports.js';

export const SERVICE_NAME = 'fleetbench';

export const logger = new PowertoolsLogger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: FLEETBENCH_METRICS.namespace, serviceName: SERVICE_NAME });

/** Everything a handler may need, built once per cold start. */
export type AwsRuntime = {
  readonly config: AwsConfig;
  readonly clients: AwsClients;
  readonly deps: Deps;
  readonly statusEvents: SsmStatusEvents;
  readonly executions: SfnExecutions;
};

/** The ports' Logger over Powertools (structured fields become top-level JSON keys). */
export function portLogger(target: PowertoolsLogger): Logger {
  return {
    info: (message, fields) => target.info(message, (fields ?? {}) as LogAttributes),
    warn: (message, fields) => target.warn(message, (fields ?? {}) as LogAttributes),
    error: (message, fields) => target.error(message, (fields ?? {}) as LogAttributes),
  };
}

let runtime: AwsRuntime | undefined;

/** The runtime of this Lambda container: loadConfig() runs on the first call only. */
export function awsRuntime(): AwsRuntime {
  runtime ??= buildRuntime();
  return runtime;
}

function buildRuntime(): AwsRuntime {
  const loaded = loadConfig();
  const invocations = new SsmInvocationReader({ ssm: loaded.clients.ssm });
  const deps = createAwsDeps(loaded, { logger: portLogger(logger), invocations });
  return {
    ...loaded,
    deps: { ...deps, events: new MetricsEventPublisher(deps.events, metrics) },
    statusEvents: new SsmStatusEvents({ ssm: loaded.clients.ssm, invocations }),
    executions: new SfnExecutions({
      sfn: loaded.clients.sfn,
      stateMachineArn: loaded.config.stateMachineArn,
    }),
  };
}

/**
 * Logs a failing invocation once, with the error's name (what the state machine's Catch matches) and
 * code, and lets middy rethrow the error object unchanged so Lambda reports `errorType` = `error.name`.
 */
export function logErrors(target: PowertoolsLogger): MiddlewareObj {
  return {
    onError: async (request) => {
      const error = request.error;
      const code = error && 'code' in error ? String((error as { code: unknown }).code) : undefined;
      target.error('invocation failed', {
        errorName: error?.name,
        ...(code ? { errorCode: code } : {}),
        error,
      } as LogAttributes);
    },
  };
}

/**
 * The middy stack every handler uses.
 * @example
 * export const handler = lambda(createRunCommandHandler(awsRuntime));
 */
export function lambda<E, R>(fn: (event: E, context: Context) => Promise<R>) {
  return middy(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logErrors(logger));
}

/**
 * Validates a Lambda's input. A malformed payload is a wiring bug (or a hand-written console input), so
 * the error says which field is wrong and what was expected.
 * @throws UsageError
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new UsageError(`invalid ${what}: ${path}: ${issue?.message ?? 'invalid input'}`, {
    hint: 'see docs/aws.md for the expected input',
  });
}

/** Optional fields without `undefined` values (exactOptionalPropertyTypes), from a zod result. */
export function defined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
