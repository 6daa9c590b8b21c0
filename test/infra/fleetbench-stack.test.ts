import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV } from '../../lib/adapters/aws/config.js';
import { STACK_OUTPUT_KEYS } from '../../lib/adapters/aws/stack-outputs.js';
import { FleetbenchStack } from '../../lib/infra/fleetbench-stack.js';
import { DEFINITION_SUBSTITUTIONS, RUN_DEFINITION_PATH } from '../../lib/infra/run-workflow.js';

/** One stack for the whole file (synth is the slow part); bundling is skipped, `cdk synth` covers it. */
let app: App;
let stack: FleetbenchStack;
let template: Template;

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };
type Resource = { Type: string; Properties: Record<string, unknown> };

/** Every Allow statement of the policies attached to a function's role. */
function statementsOf(functionLogicalId: string): Statement[] {
  const fn = template.toJSON().Resources[functionLogicalId] as Resource;
  const roleRef = JSON.stringify((fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function actions(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

/** The logical id of the function built from `lambdas/<handler>.ts`. */
function functionId(handler: string): string {
  const [id] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([key]) =>
    key.startsWith(`Functions${handler}Function`),
  ) ?? [undefined];
  if (!id) throw new Error(`no function ${handler}`);
  return id;
}

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new FleetbenchStack(app, 'Fleetbench', { env: { account: '123456789012', region: 'us-east-1' } });
  // As bin/app.ts does: a finding fails the synth below.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  template = Template.fromStack(stack);
});

describe('FleetbenchStack', () => {
  describe('cdk-nag (AwsSolutions)', () => {
    it('has zero unacknowledged findings', () => {
      const report = new AwsSolutionsChecks().validateScope(app);
      const findings = report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );

      expect(findings).toEqual([]);
    });

    it('has no synth errors or warnings', () => {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    });
  });

  describe('RunTables', () => {
    it.each([
      [
        'journal',
        [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      ],
      ['catalog', [{ AttributeName: 'runId', KeyType: 'HASH' }]],
    ])('creates the %s table on demand, point-in-time recoverable, encrypted, retained', (_name, keySchema) => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          KeySchema: keySchema,
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        }),
      });
    });

    it('lists runs newest first through the byCreatedAt index', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byCreatedAt',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });
  });

  describe('OutputBucket', () => {
    it('keeps outputs private, encrypted, access-logged, and expires them after 90 days', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'outputs/' }),
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 90, Status: 'Enabled' })],
        },
      });
    });

    it('denies every request without TLS on both buckets', () => {
      const denyInsecure = Match.objectLike({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(
        Object.values(
          template.findResources('AWS::S3::BucketPolicy', {
            Properties: { PolicyDocument: { Statement: Match.arrayWith([denyInsecure]) } },
          }),
        ),
      ).toHaveLength(2);
    });
  });

  describe('EventsConstruct', () => {
    it('creates the fleetbench bus', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'fleetbench' });
    });

    it('routes Stop Requested on the fleetbench bus to stop-run', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: Match.stringLikeRegexp('^EventsBus') },
        EventPattern: { source: ['dev.fleetbench.cli'], 'detail-type': ['Stop Requested'] },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId('StopRun'), 'Arn'] } })],
      });
    });

    it.each([
      [
        'EC2 Command Invocation Status-change Notification',
        ['Pending', 'InProgress', 'Delayed', 'Cancelling'],
      ],
      ['EC2 Command Status-change Notification', ['Pending', 'InProgress', 'Cancelling']],
    ])('routes the ends of SSM "%s" (default bus) to on-invocation-status', (detailType, notEnded) => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.absent(),
        EventPattern: {
          source: ['aws.ssm'],
          'detail-type': [detailType],
          detail: { 'document-name': ['AWS-RunShellScript'], status: [{ 'anything-but': notEnded }] },
        },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId('OnInvocationStatus'), 'Arn'] } })],
      });
    });

    it('copies every run CloudEvent into a log group kept 90 days, with the resource policy EventBridge needs', () => {
      const [groupId, group] = Object.entries(
        template.findResources('AWS::Logs::LogGroup', {
          Properties: { LogGroupName: '/aws/events/Fleetbench/run-events' },
        }),
      )[0] as [string, Resource];
      expect(group.Properties.RetentionInDays).toBe(90);
      const [ruleId] = Object.entries(
        template.findResources('AWS::Events::Rule', {
          Properties: {
            EventBusName: { Ref: Match.stringLikeRegexp('^EventsBus') },
            EventPattern: { source: ['dev.fleetbench'] },
          },
        }),
      )[0] ?? [''];
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['dev.fleetbench'] },
        Targets: [
          Match.objectLike({
            Arn: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':logs:us-east-1:123456789012:log-group:',
                  { Ref: groupId },
                ],
              ],
            },
          }),
        ],
      });
      const [policy] = Object.values(template.findResources('AWS::Logs::ResourcePolicy')) as Resource[];
      const document = JSON.parse(resolveDefinition(policy?.Properties.PolicyDocument)) as {
        Statement: unknown[];
      };
      // Only this rule may put events, only to this group; streams are created by EventBridge of this
      // account (CreateLogStream carries no source ARN: the IAM rehearsal evaluates both).
      expect(document.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'logs:CreateLogStream',
          Resource: `<${groupId}.Arn>`,
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'logs:PutLogEvents',
          Resource: `<${groupId}.Arn>`,
          Condition: { ArnEquals: { 'aws:SourceArn': `<${ruleId}.Arn>` } },
        },
      ]);
      template.hasOutput(STACK_OUTPUT_KEYS.eventLogGroupName, { Value: { Ref: groupId } });
    });

    it('runs the reconciler every 5 minutes', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId('Reconcile'), 'Arn'] } })],
      });
    });
  });

  describe('RunFunctions', () => {
    it('runs every function on Node.js 22, arm64, traced, logging to its own log group, configured', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
      expect(functions).toHaveLength(6);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } },
          Environment: {
            Variables: expect.objectContaining({
              NODE_OPTIONS: '--enable-source-maps',
              ...Object.fromEntries(Object.values(CONFIG_ENV).map((name) => [name, expect.anything()])),
            }),
          },
        });
      }
      template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 6);
    });

    it('lets only run-command send commands: the RunShellScript document, and instances tagged fleetbench=true', () => {
      const send = (id: string) =>
        statementsOf(functionId(id)).filter((s) => actions(s).includes('ssm:SendCommand'));

      expect(send('RunCommand')).toEqual([
        expect.objectContaining({
          Resource: {
            'Fn::Join': [
              '',
              [
                expect.stringMatching(/^arn:/),
                { Ref: 'AWS::Partition' },
                ':ssm:us-east-1::document/AWS-RunShellScript',
              ],
            ],
          },
        }),
        expect.objectContaining({
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:us-east-1:123456789012:instance/*']],
          },
          Condition: { StringEquals: { 'ssm:resourceTag/fleetbench': 'true' } },
        }),
      ]);
      for (const other of ['PlanRun', 'OnInvocationStatus', 'StopRun', 'FinalizeRun', 'Reconcile'])
        expect(send(other)).toEqual([]);
    });

    it('scopes SendTask* to the run state machine and its Distributed Map children, and Stop/DescribeExecution to its executions', () => {
      const all = ['RunCommand', 'OnInvocationStatus', 'StopRun', 'Reconcile'].flatMap((id) =>
        statementsOf(functionId(id)),
      );
      const sendTask = all.filter((s) => actions(s).some((a) => a.startsWith('states:SendTask')));
      expect(sendTask).toHaveLength(4);
      for (const s of sendTask) {
        const stateMachine = (suffix: string) => ({
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:states:us-east-1:123456789012:stateMachine:Fleetbench-run${suffix}`,
            ],
          ],
        });
        expect(s.Resource).toEqual([stateMachine(''), stateMachine('/*')]);
      }
      const executions = all.filter((s) =>
        actions(s).some((a) => /^states:(Stop|Describe)Execution$/.test(a)),
      );
      expect(executions.map((s) => s.Resource)).toEqual([
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':states:us-east-1:123456789012:execution:Fleetbench-run:*'],
          ],
        },
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':states:us-east-1:123456789012:execution:Fleetbench-run:*'],
          ],
        },
      ]);
      // The deployed state machine really has that name.
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'Fleetbench-run',
      });
    });

    it('gives each function only its tables, the bus, and the output prefix', () => {
      const finalize = statementsOf(functionId('FinalizeRun'));
      expect(finalize.flatMap(actions).sort()).toEqual(
        [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:GetItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
          'dynamodb:UpdateItem',
          'ec2:DescribeInstances',
          'ec2:TerminateInstances',
          'events:PutEvents',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
      const reads = statementsOf(functionId('OnInvocationStatus')).filter((s) =>
        actions(s).includes('s3:GetObject'),
      );
      expect(reads.map((s) => s.Resource)).toEqual([
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^OutputsBucket/), 'Arn'] }, '/runs/*']] },
      ]);
      const list = statementsOf(functionId('Reconcile')).filter(
        (s) => actions(s).includes('dynamodb:Query') && JSON.stringify(s.Resource).includes('index'),
      );
      expect(list).toHaveLength(1);
      expect(
        statementsOf(functionId('PlanRun')).some((s) => JSON.stringify(s.Resource).includes('/index/')),
      ).toBe(false);
    });

    it('puts events only on the fleetbench bus', () => {
      const puts = Object.keys(template.findResources('AWS::Lambda::Function'))
        .flatMap(statementsOf)
        .filter((s) => actions(s).includes('events:PutEvents'));
      expect(puts).toHaveLength(6);
      for (const s of puts)
        expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EventsBus/), 'Arn'] });
    });
  });

  describe('RunFunctions (ephemeral hosts)', () => {
    const all = ['PlanRun', 'RunCommand', 'OnInvocationStatus', 'StopRun', 'FinalizeRun', 'Reconcile'];
    const withAction = (id: string, action: string) =>
      statementsOf(functionId(id)).filter((s) => actions(s).includes(action));
    const arn = (resource: string, account = ':123456789012') => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:us-east-1${account}:${resource}`]],
    });

    it('lets only plan-run launch instances, and only tagged fleetbench:managed=true', () => {
      expect(withAction('PlanRun', 'ec2:RunInstances')).toEqual([
        expect.objectContaining({
          Resource: [arn('instance/*'), arn('volume/*'), arn('spot-instances-request/*')],
          Condition: { StringEquals: { 'aws:RequestTag/fleetbench:managed': 'true' } },
        }),
        expect.objectContaining({
          Resource: [
            arn('image/*', ':'),
            arn('subnet/*'),
            arn('security-group/*'),
            arn('network-interface/*'),
          ],
        }),
      ]);
      expect(withAction('PlanRun', 'ec2:RunInstances')[1]).not.toHaveProperty('Condition');
      for (const other of all.filter((id) => id !== 'PlanRun'))
        expect(withAction(other, 'ec2:RunInstances')).toEqual([]);
    });

    it('lets tags be created only by RunInstances itself', () => {
      const createTags = all.flatMap((id) => withAction(id, 'ec2:CreateTags'));
      expect(createTags).toEqual([
        expect.objectContaining({
          Resource: [arn('instance/*'), arn('volume/*'), arn('spot-instances-request/*')],
          Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
        }),
      ]);
    });

    it('passes only the host role, and only to EC2', () => {
      const passRole = all.flatMap((id) => withAction(id, 'iam:PassRole'));
      expect(passRole).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^HostAccessInstanceRole/), 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
        }),
      ]);
      expect(withAction('PlanRun', 'iam:PassRole')).toHaveLength(1);
    });

    it('reads AMI ids from the public /aws/service/ parameters only', () => {
      expect(all.flatMap((id) => withAction(id, 'ssm:GetParameter'))).toEqual([
        expect.objectContaining({
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1::parameter/aws/service/*']],
          },
        }),
      ]);
      expect(withAction('PlanRun', 'ssm:GetParameter')).toHaveLength(1);
    });

    it('terminates only instances tagged fleetbench:managed=true, from plan-run, finalize-run and the reconciler', () => {
      for (const id of ['PlanRun', 'FinalizeRun', 'Reconcile']) {
        expect(withAction(id, 'ec2:TerminateInstances')).toEqual([
          expect.objectContaining({
            Resource: arn('instance/*'),
            Condition: { StringEquals: { 'ec2:ResourceTag/fleetbench:managed': 'true' } },
          }),
        ]);
      }
      for (const id of ['RunCommand', 'OnInvocationStatus', 'StopRun'])
        expect(withAction(id, 'ec2:TerminateInstances')).toEqual([]);
    });

    it('gives plan-run the time to wait for launched hosts', () => {
      const fn = template.toJSON().Resources[functionId('PlanRun')] as Resource;
      expect(fn.Properties.Timeout).toBe(900);
    });
  });

  describe('HostAccess', () => {
    it('gives hosts the SSM core policy and writes under runs/*/outputs/* only, as an instance profile', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
        },
        ManagedPolicyArns: [
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore'],
            ],
          },
        ],
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['s3:PutObject', 's3:PutObjectAcl'],
              Resource: {
                'Fn::Join': [
                  '',
                  [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^OutputsBucket'), 'Arn'] }, '/runs/*/outputs/*'],
                ],
              },
            }),
          ]),
        },
      });
      template.resourceCountIs('AWS::IAM::InstanceProfile', 1);
    });
  });

  describe('RunWorkflow', () => {
    it('deploys run.asl.json as a Standard workflow with the three function ARNs substituted', () => {
      const [machine] = Object.values(
        template.findResources('AWS::StepFunctions::StateMachine'),
      ) as Resource[];
      const props = machine?.Properties ?? {};
      expect(props.StateMachineType).toBe('STANDARD');

      const deployed = resolveDefinition(
        props.DefinitionString,
        props.DefinitionSubstitutions as Record<string, unknown>,
      );
      const arns = { planRun: 'PlanRun', runCommand: 'RunCommand', finalizeRun: 'FinalizeRun' } as const;
      let expected = readFileSync(RUN_DEFINITION_PATH, 'utf8');
      for (const [key, placeholder] of Object.entries(DEFINITION_SUBSTITUTIONS) as [
        keyof typeof arns,
        string,
      ][]) {
        expected = expected.replaceAll(`\${${placeholder}}`, `<${functionId(arns[key])}.Arn>`);
      }
      expect(JSON.parse(deployed)).toEqual(JSON.parse(expected));
      expect(deployed).not.toMatch(/\$\{/);
    });

    it('logs ALL with execution data and traces', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.anyValue()] },
        TracingConfiguration: { Enabled: true },
      });
    });

    it("may start its own executions and describe and stop their children, as free's Distributed Map needs", () => {
      const [[roleId]] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).map(
        ([, m]) => [(m as Resource).Properties.RoleArn as { 'Fn::GetAtt': [string, string] }],
      ) as [[{ 'Fn::GetAtt': [string, string] }]];
      const role = JSON.stringify(roleId['Fn::GetAtt'][0]);
      const statements = (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[])
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      const arn = (resource: string) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:us-east-1:123456789012:${resource}`]],
      });

      expect(statements).toEqual(
        expect.arrayContaining([
          { Effect: 'Allow', Action: 'states:StartExecution', Resource: arn('stateMachine:Fleetbench-run') },
          {
            Effect: 'Allow',
            Action: ['states:DescribeExecution', 'states:StopExecution'],
            Resource: arn('execution:Fleetbench-run/*'),
          },
        ]),
      );
      // Nothing broader: no other state machine, no other execution.
      const states = statements.filter((s) => actions(s).some((a) => a.startsWith('states:')));
      expect(states).toHaveLength(2);
    });

    it('runs each host of a free run as a STANDARD child execution of a Distributed Map', () => {
      const definition = JSON.parse(readFileSync(RUN_DEFINITION_PATH, 'utf8')) as {
        States: Record<string, Record<string, unknown>>;
      };
      const choice = definition.States['Lockstep or free?'];
      const map = definition.States['Run hosts'];

      expect(definition.States['Run global setup']?.Next).toBe('Lockstep or free?');
      expect(choice).toMatchObject({
        Type: 'Choice',
        Comment: expect.stringMatching(/slow host/),
        Default: 'Run workloads',
        Choices: [expect.objectContaining({ Next: 'Run hosts' })],
      });
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.hosts',
        MaxConcurrencyPath: '$.hostConcurrency',
        ItemSelector: { 'runId.$': '$.runId', 'host.$': '$$.Map.Item.Value', 'workloads.$': '$.workloads' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: "Run host's workloads",
        },
        Catch: [expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Run global teardown' })],
      });
      // Every run-command step inside a host's execution is scoped to that host.
      const payloads: Record<string, unknown>[] = [];
      const walk = (states: Record<string, Record<string, unknown>>) => {
        for (const state of Object.values(states)) {
          const payload = (state.Parameters as { Payload?: Record<string, unknown> } | undefined)?.Payload;
          if (payload && 'phase' in payload) payloads.push(payload);
          const inner = state.ItemProcessor as
            | { States: Record<string, Record<string, unknown>> }
            | undefined;
          if (inner) walk(inner.States);
        }
      };
      walk((map?.ItemProcessor as { States: Record<string, Record<string, unknown>> }).States);
      expect(payloads.map((p) => p.phase)).toEqual(['setup', 'repetition', 'teardown']);
      for (const p of payloads) expect(p['host.$']).toBe('$.host');
    });

    it('may invoke exactly the three workflow functions', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: ['PlanRun', 'RunCommand', 'FinalizeRun'].map((id) => ({
                'Fn::GetAtt': [functionId(id), 'Arn'],
              })),
            },
          ]),
        },
      });
    });
  });

  describe('Dashboard', () => {
    it('shows executions, function errors and durations, and the Fleetbench task metrics', () => {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);
      for (const text of [
        'ExecutionsStarted',
        'ExecutionsSucceeded',
        'ExecutionsFailed',
        'Errors',
        'Duration',
        'TasksCompleted',
        'TasksFailed',
        'TaskDuration',
        '{Fleetbench,service,workload}',
        '{Fleetbench,service,workload,metric}',
        'WorkloadMetric',
      ]) {
        expect(body).toContain(text);
      }
      expect(body.match(/\\"type\\":\\"metric\\"/g)?.length).toBe(6);
    });
  });

  it('exports what the CLI reads', () => {
    for (const key of Object.values(STACK_OUTPUT_KEYS)) template.hasOutput(key, { Value: Match.anyValue() });
  });
});

/** The definition as deployed: DefinitionString (a string or an Fn::Join) with its substitutions applied as `<LogicalId.Arn>`. */
function resolveDefinition(definition: unknown, substitutions: Record<string, unknown> = {}): string {
  const flat = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(sep);
    }
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (o.Ref !== undefined) return `<${String(o.Ref)}>`;
    throw new Error(`unexpected ${JSON.stringify(node)}`);
  };
  let text = flat(definition);
  for (const [name, value] of Object.entries(substitutions))
    text = text.replaceAll(`\${${name}}`, flat(value));
  return text;
}
