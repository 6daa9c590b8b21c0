import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, OPTIONAL_CONFIG_ENV } from '../../lib/adapters/aws/config.js';
import { EventsConstruct } from '../../lib/infra/events-construct.js';
import { HostAccess } from '../../lib/infra/host-access.js';
import { OutputBucket } from '../../lib/infra/output-bucket.js';
import { FUNCTIONS, type FunctionKey, RunFunctions } from '../../lib/infra/run-functions.js';
import { RunTables } from '../../lib/infra/run-tables.js';
import { minimalStack } from '../support/cdk/minimal-stack.js';
import {
  actions,
  functionStatements,
  logicalIdOf,
  type Resource,
  type Statement,
} from '../support/cdk/template-reading.js';
import { allowedUnused, TABLE_ITEM_ACTIONS } from '../support/iam/allow-list.js';
import { rehearsedActions } from '../support/iam/rehearsed-actions.js';

/**
 * The functions and what they need: tables, the bus, the output bucket, the host role and profile. The
 * stack sets a retention, as the IAM rehearsal's does, so every grant is there to compare with what the
 * rehearsal recorded; `withoutRetention` is the default stack's.
 */
let template: Template;
let functionIds: Record<FunctionKey, string>;
let withoutRetention: { template: Template; functionIds: Record<FunctionKey, string> };

function functionsStack(runRetention?: Duration): {
  template: Template;
  functionIds: Record<FunctionKey, string>;
} {
  const stack = minimalStack();
  const tables = new RunTables(stack, 'Tables');
  const outputs = new OutputBucket(stack, 'Outputs');
  const hostAccess = new HostAccess(stack, 'HostAccess', { outputBucket: outputs.bucket });
  const functions = new RunFunctions(stack, 'Functions', {
    journal: tables.journal,
    catalog: tables.catalog,
    bus: new EventsConstruct(stack, 'Events').bus,
    outputBucket: outputs.bucket,
    instanceProfileArn: hostAccess.instanceProfile.instanceProfileArn,
    hostRoleArn: hostAccess.role.roleArn,
    stateMachineName: 'Fleetbench-run',
    ...(runRetention ? { runRetention } : {}),
  });
  return {
    functionIds: Object.fromEntries(
      Object.entries(functions.all).map(([key, fn]) => [key, logicalIdOf(stack, fn.functionArn)]),
    ) as Record<FunctionKey, string>,
    template: Template.fromStack(stack),
  };
}

beforeAll(() => {
  ({ template, functionIds } = functionsStack(Duration.days(30)));
  withoutRetention = functionsStack();
});

const KEYS = Object.keys(FUNCTIONS) as FunctionKey[];
const statementsOf = (key: FunctionKey): Statement[] => functionStatements(template, functionIds[key]);
const withAction = (key: FunctionKey, action: string) =>
  statementsOf(key).filter((s) => actions(s).includes(action));

/** What the IAM rehearsal saw the function's handler request, and what its allow-list lets it hold unused. */
function rehearsedGrants(key: FunctionKey): string[] {
  const principal = `function:${key}` as const;
  return [...new Set([...rehearsedActions(principal), ...Object.keys(allowedUnused(principal))])].sort();
}

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

  it.each(
    KEYS,
  )('grants %s exactly the actions the IAM rehearsal saw it request, plus its allow-list', (key) => {
    const granted = [...new Set(statementsOf(key).flatMap(actions))].sort();

    expect(granted).toEqual(rehearsedGrants(key));
  });

  it('lets run-command send steps, and on-invocation-status and the reconciler copy outputs, only with the RunShellScript document to instances tagged fleetbench=true', () => {
    const send = (key: FunctionKey) => withAction(key, 'ssm:SendCommand');
    const senders: FunctionKey[] = ['runCommand', 'onInvocationStatus', 'reconcile'];

    for (const key of senders)
      expect(send(key)).toEqual([
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
    for (const other of KEYS.filter((key) => !senders.includes(key))) expect(send(other)).toEqual([]);
  });

  it('scopes SendTask* to the run state machine and its Distributed Map children, and Stop/DescribeExecution to its executions', () => {
    const all = (['runCommand', 'onInvocationStatus', 'stopRun', 'reconcile'] as const).flatMap(statementsOf);
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
    const executions = all.filter((s) => actions(s).some((a) => /^states:(Stop|Describe)Execution$/.test(a)));
    const execution = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':states:us-east-1:123456789012:execution:Fleetbench-run:*'],
      ],
    };
    expect(executions.map((s) => s.Resource)).toEqual([execution, execution]);
  });

  it('gives each function only its tables, the bus, and the output prefix', () => {
    // Each table's item actions are granted on that table: an action both tables allow is listed twice.
    const tables = new Set<string>([...TABLE_ITEM_ACTIONS.journal, ...TABLE_ITEM_ACTIONS.catalog]);
    expect(statementsOf('finalizeRun').flatMap(actions).sort()).toEqual(
      [
        ...TABLE_ITEM_ACTIONS.journal,
        ...TABLE_ITEM_ACTIONS.catalog,
        ...rehearsedGrants('finalizeRun').filter((a) => !tables.has(a)),
      ].sort(),
    );
    const reads = withAction('onInvocationStatus', 's3:GetObject');
    expect(reads.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^OutputsBucket/), 'Arn'] }, '/runs/*']] },
    ]);
    const list = statementsOf('reconcile').filter(
      (s) => actions(s).includes('dynamodb:Query') && JSON.stringify(s.Resource).includes('index'),
    );
    expect(list).toHaveLength(1);
    expect(statementsOf('planRun').some((s) => JSON.stringify(s.Resource).includes('/index/'))).toBe(false);
  });

  it('puts events only on the fleetbench bus', () => {
    const puts = Object.keys(template.findResources('AWS::Lambda::Function'))
      .flatMap((id) => functionStatements(template, id))
      .filter((s) => actions(s).includes('events:PutEvents'));
    expect(puts).toHaveLength(6);
    for (const s of puts)
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EventsBus/), 'Arn'] });
  });
});

describe('RunFunctions (ephemeral hosts)', () => {
  const arn = (resource: string, account = ':123456789012') => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:us-east-1${account}:${resource}`]],
  });

  it('lets only plan-run launch instances, and only tagged fleetbench:managed=true', () => {
    expect(withAction('planRun', 'ec2:RunInstances')).toEqual([
      expect.objectContaining({
        Resource: [arn('instance/*'), arn('volume/*'), arn('spot-instances-request/*')],
        Condition: { StringEquals: { 'aws:RequestTag/fleetbench:managed': 'true' } },
      }),
      expect.objectContaining({
        Resource: [arn('image/*', ':'), arn('subnet/*'), arn('security-group/*'), arn('network-interface/*')],
      }),
    ]);
    expect(withAction('planRun', 'ec2:RunInstances')[1]).not.toHaveProperty('Condition');
    for (const other of KEYS.filter((key) => key !== 'planRun'))
      expect(withAction(other, 'ec2:RunInstances')).toEqual([]);
  });

  it('lets tags be created only by RunInstances itself', () => {
    const createTags = KEYS.flatMap((key) => withAction(key, 'ec2:CreateTags'));
    expect(createTags).toEqual([
      expect.objectContaining({
        Resource: [arn('instance/*'), arn('volume/*'), arn('spot-instances-request/*')],
        Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
      }),
    ]);
  });

  it('passes only the host role, and only to EC2', () => {
    const passRole = KEYS.flatMap((key) => withAction(key, 'iam:PassRole'));
    expect(passRole).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^HostAccessInstanceRole/), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    ]);
    expect(withAction('planRun', 'iam:PassRole')).toHaveLength(1);
  });

  it('reads AMI ids from the public /aws/service/ parameters only', () => {
    expect(KEYS.flatMap((key) => withAction(key, 'ssm:GetParameter'))).toEqual([
      expect.objectContaining({
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1::parameter/aws/service/*']],
        },
      }),
    ]);
    expect(withAction('planRun', 'ssm:GetParameter')).toHaveLength(1);
  });

  it('terminates only instances tagged fleetbench:managed=true, from plan-run, finalize-run and the reconciler', () => {
    for (const key of ['planRun', 'finalizeRun', 'reconcile'] as const) {
      expect(withAction(key, 'ec2:TerminateInstances')).toEqual([
        expect.objectContaining({
          Resource: arn('instance/*'),
          Condition: { StringEquals: { 'ec2:ResourceTag/fleetbench:managed': 'true' } },
        }),
      ]);
    }
    for (const key of ['runCommand', 'onInvocationStatus', 'stopRun'] as const)
      expect(withAction(key, 'ec2:TerminateInstances')).toEqual([]);
  });

  it('gives plan-run the time to wait for launched hosts', () => {
    const fn = template.toJSON().Resources[functionIds.planRun] as Resource;
    expect(fn.Properties.Timeout).toBe(900);
  });
});

describe('RunFunctions (runRetention)', () => {
  const deletes = (t: Template, ids: Record<FunctionKey, string>, key: FunctionKey) =>
    functionStatements(t, ids[key]).filter((st) =>
      actions(st).some((a) => a === 'dynamodb:DeleteItem' || a === 's3:DeleteObject'),
    );
  const retentionOf = (t: Template, ids: Record<FunctionKey, string>, key: FunctionKey) =>
    (
      (t.toJSON().Resources[ids[key]] as Resource).Properties.Environment as {
        Variables: Record<string, string>;
      }
    ).Variables[OPTIONAL_CONFIG_ENV.runRetention];

  it('lets only the reconciler delete: items of the two tables and objects under runs/', () => {
    expect(deletes(template, functionIds, 'reconcile')).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:DeleteItem',
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/^TablesJournal/), 'Arn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/^TablesCatalog/), 'Arn'] },
        ],
      }),
      expect.objectContaining({
        Action: 's3:DeleteObject',
        Resource: {
          'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^OutputsBucket/), 'Arn'] }, '/runs/*']],
        },
      }),
    ]);
    for (const other of KEYS.filter((key) => key !== 'reconcile'))
      expect(deletes(template, functionIds, other)).toEqual([]);
  });

  it('tells the reconciler the retention in seconds, and no other function', () => {
    expect(retentionOf(template, functionIds, 'reconcile')).toBe('2592000');
    for (const other of KEYS.filter((key) => key !== 'reconcile'))
      expect(retentionOf(template, functionIds, other)).toBeUndefined();
  });

  it('without a retention, grants no function a delete and sets no retention', () => {
    for (const key of KEYS) {
      expect(deletes(withoutRetention.template, withoutRetention.functionIds, key)).toEqual([]);
      expect(retentionOf(withoutRetention.template, withoutRetention.functionIds, key)).toBeUndefined();
    }
  });
});
