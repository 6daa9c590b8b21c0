/**
 * The synthesized FleetbenchStack as IAM sees it once deployed: its template with every intrinsic function
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) resolved to concrete ARNs for account 123456789012 in us-east-1, and
 * the policies of each principal the IAM rehearsal evaluates. Physical names are chosen to match what
 * test/lambdas/fake-aws.ts uses: the tables and bucket the functions' environment names, functions
 * `<stack>-<key>`, rules `<stack>-<construct id>`, roles by logical id.
 */
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { CONFIG_ENV } from '../../../lib/adapters/aws/config.js';
import { LOCAL_TABLES } from '../../../lib/adapters/local/embedded-dynalite.js';
import { FleetbenchStack, type FleetbenchStackProps } from '../../../lib/infra/fleetbench-stack.js';
import { FUNCTIONS, type FunctionKey } from '../../../lib/infra/run-functions.js';
import { testApp } from '../cdk/minimal-stack.js';
import type { Principal } from './requests.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STACK_NAME = 'Fleetbench';
/** The output bucket's name in test/lambdas/fake-aws.ts. */
export const OUTPUT_BUCKET = 'fleetbench-outputs-123';
/** The IAM user the CLI policy of docs/aws.md is attached to. */
export const CLI_USER_ARN = `arn:aws:iam::${ACCOUNT}:user/perf-engineer`;
export const CLI_POLICY_PATH = new URL('../../../docs/cli-user-policy.json', import.meta.url);

export type PolicyDocument = { Version?: string; Statement: Statement[] };
export type Statement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

/** A principal as the simulator takes it: its ARN, identity policies, and resource policies by resource. */
export type PrincipalPolicies = {
  readonly arn: string;
  readonly identityPolicies: readonly { name: string; policy: PolicyDocument }[];
  /** Managed policies attached by ARN, whose content is AWS's (not evaluated; see the rehearsal). */
  readonly managedPolicyArns: readonly string[];
};

type Resource = { Type: string; Properties?: Record<string, unknown> };

export type ResolvedStack = {
  readonly resources: Readonly<Record<string, Resource>>;
  readonly principals: Readonly<Record<Principal, PrincipalPolicies>>;
  /** Resource policies (Lambda permissions, the event log's policy), keyed by the ARN they guard. */
  resourcePolicyFor(resourceArn: string): PolicyDocument | undefined;
};

/**
 * Synthesizes the stack (bundling and the built-in CloudFormation validation skipped, see
 * test/support/cdk/minimal-stack.ts) and resolves it. Slow (seconds): once per test file.
 */
export function synthesizeResolvedStack(props: Omit<FleetbenchStackProps, 'env'> = {}): ResolvedStack {
  const stack = new FleetbenchStack(testApp(), STACK_NAME, {
    ...props,
    env: { account: ACCOUNT, region: REGION },
  });
  return resolveStack(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>);
}

/** camelCase key of FUNCTIONS for a function's logical id `Functions<Key>Function<hash>`. */
function functionKeyOf(logicalId: string): FunctionKey | undefined {
  const pascal = /^Functions([A-Za-z]+?)Function[0-9A-F]{8}$/.exec(logicalId)?.[1];
  const key = pascal ? `${pascal[0]?.toLowerCase()}${pascal.slice(1)}` : undefined;
  return key && key in FUNCTIONS ? (key as FunctionKey) : undefined;
}

export function resolveStack(raw: Record<string, Resource>): ResolvedStack {
  const names = physicalNames(raw);
  const arnOf = (id: string): string => {
    const r = raw[id];
    const name = names.get(id) ?? id;
    switch (r?.Type) {
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
      case 'AWS::Events::Rule': {
        const bus = r.Properties?.EventBusName as { Ref?: string } | undefined;
        const prefix = bus?.Ref ? `${names.get(bus.Ref)}/` : '';
        return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${prefix}${name}`;
      }
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::IAM::InstanceProfile':
        return `arn:aws:iam::${ACCOUNT}:instance-profile/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
      default:
        throw new Error(`cannot resolve the ARN of ${id} (${r?.Type})`);
    }
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    if ('Ref' in obj) {
      const id = obj.Ref as string;
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': REGION,
        'AWS::AccountId': ACCOUNT,
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackName': STACK_NAME,
      };
      if (pseudo[id]) return pseudo[id];
      if (raw[id]?.Type === 'AWS::StepFunctions::StateMachine') return arnOf(id);
      return names.get(id) ?? id;
    }
    if ('Fn::GetAtt' in obj) {
      const [id, attribute] = obj['Fn::GetAtt'] as [string, string];
      if (attribute === 'Arn') return arnOf(id);
      if (attribute === 'Name') return names.get(id) ?? id;
      throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute}`);
    }
    if ('Fn::Join' in obj) {
      const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolve(p))).join(separator);
    }
    if ('Fn::Sub' in obj) {
      const template = obj['Fn::Sub'] as string;
      return template.replace(/\$\{([^}]+)\}/g, (_, ref: string) => {
        const [id, attribute] = ref.split('.');
        return String(resolve(attribute ? { 'Fn::GetAtt': [id, attribute] } : { Ref: id }));
      });
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v)]));
  };
  const resources = Object.fromEntries(
    Object.entries(raw).map(([id, r]) => [
      id,
      { ...r, Properties: resolve(r.Properties ?? {}) as Record<string, unknown> },
    ]),
  );

  const roleIdOf = (arnRef: unknown): string => {
    const getAtt = (arnRef as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (!getAtt) throw new Error(`not a role reference: ${JSON.stringify(arnRef)}`);
    return getAtt[0];
  };
  const roleOf = (roleId: string): PrincipalPolicies => {
    const role = resources[roleId]?.Properties ?? {};
    const attached = Object.entries(raw)
      .filter(
        ([, r]) =>
          r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`),
      )
      .map(([id]) => ({
        name: id,
        policy: resources[id]?.Properties?.PolicyDocument as PolicyDocument,
      }));
    const inline = ((role.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ?? []).map(
      (p) => ({ name: p.PolicyName, policy: p.PolicyDocument }),
    );
    return {
      arn: arnOf(roleId),
      identityPolicies: [...attached, ...inline],
      managedPolicyArns: (role.ManagedPolicyArns as string[]) ?? [],
    };
  };

  const principals: Record<string, PrincipalPolicies> = {};
  for (const [id, r] of Object.entries(raw)) {
    const key = r.Type === 'AWS::Lambda::Function' ? functionKeyOf(id) : undefined;
    if (key) principals[`function:${key}`] = roleOf(roleIdOf(r.Properties?.Role));
    if (r.Type === 'AWS::StepFunctions::StateMachine')
      principals.stateMachine = roleOf(roleIdOf(r.Properties?.RoleArn));
    if (r.Type === 'AWS::IAM::InstanceProfile') {
      const [role] = r.Properties?.Roles as { Ref: string }[];
      if (role) principals.host = roleOf(role.Ref);
    }
  }
  principals.events = { arn: 'events.amazonaws.com', identityPolicies: [], managedPolicyArns: [] };
  principals.cli = {
    arn: CLI_USER_ARN,
    identityPolicies: [{ name: 'cli-user-policy', policy: cliUserPolicy() }],
    managedPolicyArns: [],
  };

  // Resource policies: the Lambda permissions rules use to invoke targets, the log groups' policies.
  const resourcePolicies = new Map<string, Statement[]>();
  const addStatement = (arn: string, statement: Statement) =>
    resourcePolicies.set(arn, [...(resourcePolicies.get(arn) ?? []), statement]);
  for (const r of Object.values(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::Lambda::Permission') {
      const condition: Statement['Condition'] = {};
      if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
      if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
      addStatement(String(p.FunctionName), {
        Effect: 'Allow',
        Principal: { Service: p.Principal },
        Action: String(p.Action),
        Resource: String(p.FunctionName),
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      });
    }
    if (r.Type === 'AWS::S3::BucketPolicy')
      for (const statement of (p.PolicyDocument as PolicyDocument).Statement)
        addStatement(`arn:aws:s3:::${String(p.Bucket)}`, statement);
    if (r.Type === 'AWS::Logs::ResourcePolicy') {
      const document = JSON.parse(String(p.PolicyDocument)) as PolicyDocument;
      for (const statement of document.Statement)
        for (const resource of [statement.Resource].flat())
          addStatement(resource.replace(/:\*$/, ''), statement);
    }
  }
  return {
    resources,
    principals: principals as Record<Principal, PrincipalPolicies>,
    resourcePolicyFor: (arn) => {
      // A log stream is guarded by its group's policy, an object by its bucket's.
      const key = arn.includes(':log-stream:')
        ? arn.replace(/:log-stream:.*$/, '')
        : arn.startsWith('arn:aws:s3:::')
          ? arn.replace(/\/.*$/, '')
          : arn;
      const statements = resourcePolicies.get(key);
      return statements ? { Version: '2012-10-17', Statement: statements } : undefined;
    },
  };
}

/** docs/cli-user-policy.json with its placeholders (the account, the stack's name and outputs) filled in. */
export function cliUserPolicy(): PolicyDocument {
  const text = readFileSync(CLI_POLICY_PATH, 'utf8')
    .replaceAll('<REGION>', REGION)
    .replaceAll('<ACCOUNT>', ACCOUNT)
    .replaceAll('<STACK>', STACK_NAME)
    .replaceAll('<JournalTableName>', LOCAL_TABLES.journal)
    .replaceAll('<CatalogTableName>', LOCAL_TABLES.catalog)
    .replaceAll('<EventBusName>', 'fleetbench')
    .replaceAll('<EventLogGroupName>', `/aws/events/${STACK_NAME}/run-events`)
    .replaceAll('<OutputBucketName>', OUTPUT_BUCKET);
  return JSON.parse(text) as PolicyDocument;
}

/** docs/host-role-policy.json (a bring-your-own host role's policy) for the test's output bucket. */
export function hostRolePolicy(): PolicyDocument {
  const text = readFileSync(new URL('../../../docs/host-role-policy.json', import.meta.url), 'utf8');
  return JSON.parse(text.replaceAll('<OutputBucketName>', OUTPUT_BUCKET)) as PolicyDocument;
}

/** The physical name each named resource gets (what Ref returns). */
function physicalNames(raw: Record<string, Resource>): Map<string, string> {
  const names = new Map<string, string>();
  const env = Object.values(raw).find((r) => r.Type === 'AWS::Lambda::Function')?.Properties?.Environment as
    | { Variables: Record<string, { Ref?: string }> }
    | undefined;
  const envRef = (variable: string) => env?.Variables[variable]?.Ref;
  const fixed: [string | undefined, string][] = [
    [envRef(CONFIG_ENV.journalTable), LOCAL_TABLES.journal],
    [envRef(CONFIG_ENV.catalogTable), LOCAL_TABLES.catalog],
    [envRef(CONFIG_ENV.outputBucket), OUTPUT_BUCKET],
  ];
  for (const [id, name] of fixed) if (id) names.set(id, name);
  for (const [id, r] of Object.entries(raw)) {
    if (names.has(id)) continue;
    const p = r.Properties ?? {};
    const explicit =
      p.TableName ?? p.BucketName ?? p.StateMachineName ?? p.LogGroupName ?? p.FunctionName ?? p.RoleName;
    if (r.Type === 'AWS::Events::EventBus') names.set(id, String(p.Name));
    else if (typeof explicit === 'string') names.set(id, explicit);
    else if (r.Type === 'AWS::Lambda::Function') names.set(id, `${STACK_NAME}-${functionKeyOf(id) ?? id}`);
    else if (r.Type === 'AWS::Events::Rule')
      names.set(id, `${STACK_NAME}-${id.replace(/^Events/, '').replace(/[0-9A-F]{8}$/, '')}`);
    else names.set(id, id);
  }
  return names;
}
