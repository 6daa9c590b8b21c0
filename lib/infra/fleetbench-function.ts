/**
 * The one Lambda construct every fleetbench function uses, so the six handlers differ only in what they
 * are (entry, timeout, permissions), never in how they are built. Defaults, all overridable per function:
 *
 * - `NodejsFunction` bundled locally by esbuild (`forceDockerBundling: false`: no Docker needed) as ESM,
 *   minified but keeping names (an error's class name is its Lambda errorType), with source maps (`NODE_OPTIONS=--enable-source-maps`) and the AWS SDK bundled, so the code
 *   runs with the SDK versions it was tested with rather than the runtime's;
 * - Node.js 22 on arm64 (Graviton: cheaper per GB-second for the same work);
 * - an explicit log group with a retention (one month) instead of the never-expiring default;
 * - X-Ray tracing Active;
 * - its own role holding only what it is granted: log writes to its log group here, the rest by the
 *   constructs that own the resources (no AWSLambdaBasicExecutionRole and its `*` log permissions).
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: handlers live in `lambdas/`, the lock file next to package.json. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How every handler is bundled (exported so a test can bundle a handler the same way and run it). */
export const LAMBDA_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  // Error class names are what Lambda reports as errorType and the state machine matches: keep them.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  forceDockerBundling: false,
  externalModules: [],
  mainFields: ['module', 'main'],
  // Some bundled CommonJS code calls require(); ESM has none unless we make one.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const satisfies BundlingOptions;

export interface FleetbenchFunctionProps {
  /** Handler file in `lambdas/`, without extension (e.g. `plan-run`); it exports `handler`. */
  readonly handler: string;
  readonly description: string;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default 512 (plugins parse up to 8 MiB of output) */
  readonly memorySize?: number;
  /** Added to the Powertools and Node.js defaults. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * @example
 * const planRun = new FleetbenchFunction(this, 'PlanRun', {
 *   handler: 'plan-run',
 *   description: 'Validates the plan, resolves the hosts, writes the journal',
 *   environment: config,
 * });
 * table.grantReadData(planRun.role);
 */
export class FleetbenchFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FleetbenchFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `fleetbench ${props.handler} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}lambdas/${props.handler}.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'fleetbench',
        POWERTOOLS_METRICS_NAMESPACE: 'Fleetbench',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: LAMBDA_BUNDLING,
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x, the Node.js line fleetbench is built and tested on; moving to a newer runtime is a tested change, not a default.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the statement CDK adds for tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }
}
