/**
 * What IAM authorizes for each AWS request fleetbench makes: the action, the resource ARN(s) it is
 * evaluated against and the condition keys that decide it. This is the one place that knows how an SDK
 * call becomes IAM requests; the IAM rehearsal (test/infra/iam-rehearsal.test.ts) evaluates what it
 * returns against the synthesized policies.
 *
 * Sources: the Service Authorization Reference (resource types and condition keys per action), except
 * where AWS is known to evaluate otherwise, said at the case. An SDK call no case knows fails loudly: a
 * new request must be mapped here before the rehearsal can vouch for it.
 */

/** Who makes a request: a function of the stack (by its key in FUNCTIONS), or another principal. */
export type Principal = `function:${string}` | 'stateMachine' | 'events' | 'host' | 'cli';

/** One request as IAM evaluates it. */
export type IamRequest = {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
};

/** What a request's ARNs depend on beyond its input: the account, and what the fake services hold. */
export type RequestWorld = {
  readonly account: string;
  readonly region: string;
  /** The tags of an EC2 instance (SendCommand and TerminateInstances are decided on them). */
  instanceTags(instanceId: string): Readonly<Record<string, string>>;
  /** The state machine of the execution a task token was issued by (see `states:SendTask*`). */
  tokenStateMachine(taskToken: string): string;
};

/** The SDK client classes, by the IAM service prefix their requests use. */
export const SERVICE_OF_CLIENT: Readonly<Record<string, string>> = {
  DynamoDBClient: 'dynamodb',
  DynamoDBDocumentClient: 'dynamodb',
  SSMClient: 'ssm',
  SFNClient: 'states',
  EventBridgeClient: 'events',
  S3Client: 's3',
  EC2Client: 'ec2',
  CloudFormationClient: 'cloudformation',
  CloudWatchLogsClient: 'logs',
};

/** lib-dynamodb's document commands, by the DynamoDB operation each sends. */
const DOCUMENT_OPERATIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

type Input = Record<string, unknown>;
type Partial_ = Omit<IamRequest, 'principal'>;

/**
 * The IAM requests one SDK call is authorized by.
 * @example
 * iamRequestsOf('function:runCommand', 'ssm', 'SendCommandCommand', input, world);
 * // → ssm:SendCommand on the AWS-RunShellScript document and on each instance (with its ssm:resourceTag/…)
 */
export function iamRequestsOf(
  principal: Principal,
  service: string,
  commandName: string,
  input: Input,
  world: RequestWorld,
): IamRequest[] {
  const bare = commandName.replace(/Command$/, '');
  const operation = service === 'dynamodb' ? (DOCUMENT_OPERATIONS[bare] ?? bare) : bare;
  return requestsFor(service, operation, input, world).map((r) => ({ principal, ...r }));
}

function requestsFor(service: string, operation: string, input: Input, world: RequestWorld): Partial_[] {
  const { account, region } = world;
  const one = (resource: string, context: Partial_['context'] = {}): Partial_[] => [
    { action: `${service}:${operation}`, resource, context },
  ];
  const str = (key: string) => String(input[key] ?? '');
  switch (service) {
    case 'dynamodb': {
      const table = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      if (operation === 'BatchWriteItem' || operation === 'BatchGetItem')
        return Object.keys(input.RequestItems as Input).flatMap((name) => one(table(name)));
      if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
        // IAM authorizes each item of a transaction as its own action on its table.
        const itemAction: Record<string, string> = {
          Put: 'PutItem',
          Update: 'UpdateItem',
          Delete: 'DeleteItem',
          ConditionCheck: 'ConditionCheckItem',
          Get: 'GetItem',
        };
        return (input.TransactItems as Input[]).flatMap((item) =>
          Object.entries(item).map(([kind, body]) => ({
            action: `dynamodb:${itemAction[kind]}`,
            resource: table(String((body as Input).TableName)),
            context: {},
          })),
        );
      }
      if (operation === 'CreateTable' || operation === 'DescribeTable') return one(table(str('TableName')));
      const index = input.IndexName ? `/index/${str('IndexName')}` : '';
      return one(`${table(str('TableName'))}${index}`);
    }
    case 'ssm': {
      if (operation === 'SendCommand') {
        // AWS-owned documents have no account in their ARN. The optional `bucket` resource type of the
        // Service Authorization Reference is not evaluated: SSM checks the output bucket with the host's
        // credentials when the agent uploads, not the caller's.
        const document = `arn:aws:ssm:${region}::document/${str('DocumentName')}`;
        const instances = ((input.InstanceIds as string[] | undefined) ?? []).map((id) => {
          const tags = world.instanceTags(id);
          const context = Object.fromEntries(
            Object.entries(tags).flatMap(([k, v]) => [
              [`ssm:resourceTag/${k}`, v],
              [`aws:ResourceTag/${k}`, v],
            ]),
          );
          return {
            action: 'ssm:SendCommand',
            resource: `arn:aws:ec2:${region}:${account}:instance/${id}`,
            context,
          };
        });
        return [...one(document), ...instances];
      }
      if (operation === 'GetParameter') {
        const name = str('Name').replace(/^\//, '');
        // Public parameters (`/aws/service/…`) belong to no account.
        const owner = name.startsWith('aws/service/') ? '' : account;
        return one(`arn:aws:ssm:${region}:${owner}:parameter/${name}`);
      }
      // CancelCommand, ListCommands, ListCommandInvocations, DescribeInstanceInformation: no resource types.
      return one('*');
    }
    case 'states': {
      if (/^SendTask(Success|Failure|Heartbeat)$/.test(operation))
        // The Service Authorization Reference lists no resource type, but Step Functions authorizes a
        // token against the state machine of the execution that issued it (its AccessDenied names that
        // ARN; a Distributed Map child's is `stateMachine:<name>/<map run label>`).
        return one(world.tokenStateMachine(str('taskToken')));
      if (operation === 'StartExecution' || operation === 'ListExecutions')
        return one(str('stateMachineArn'));
      return one(str('executionArn'));
    }
    case 'events': {
      // One request per bus; events:source and events:detail-type are multivalued (one value per entry),
      // so a policy must test them with ForAllValues:/ForAnyValue:.
      const byBus = new Map<string, Input[]>();
      for (const entry of (input.Entries as Input[] | undefined) ?? []) {
        const bus = String(entry.EventBusName ?? 'default');
        byBus.set(bus, [...(byBus.get(bus) ?? []), entry]);
      }
      return [...byBus].map(([bus, entries]) => ({
        action: 'events:PutEvents',
        resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${region}:${account}:event-bus/${bus}`,
        context: {
          'events:source': [...new Set(entries.map((e) => String(e.Source)))],
          'events:detail-type': [...new Set(entries.map((e) => String(e.DetailType)))],
        },
      }));
    }
    case 's3': {
      const bucket = `arn:aws:s3:::${str('Bucket')}`;
      if (operation === 'GetObject' || operation === 'HeadObject')
        return [{ action: 's3:GetObject', resource: `${bucket}/${str('Key')}`, context: {} }];
      if (operation === 'PutObject') return one(`${bucket}/${str('Key')}`);
      // DeleteObjects is authorized as s3:DeleteObject on each key it names.
      if (operation === 'DeleteObjects')
        return ((input.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects ?? []).map((o) => ({
          action: 's3:DeleteObject',
          resource: `${bucket}/${o.Key ?? ''}`,
          context: {},
        }));
      if (operation === 'ListObjectsV2')
        return [{ action: 's3:ListBucket', resource: bucket, context: { 's3:prefix': str('Prefix') } }];
      break;
    }
    case 'ec2': {
      if (operation === 'DescribeInstances') return one('*');
      if (operation === 'TerminateInstances')
        return ((input.InstanceIds as string[] | undefined) ?? []).map((id) => ({
          action: 'ec2:TerminateInstances',
          resource: `arn:aws:ec2:${region}:${account}:instance/${id}`,
          context: Object.fromEntries(
            Object.entries(world.instanceTags(id)).map(([k, v]) => [`ec2:ResourceTag/${k}`, v]),
          ),
        }));
      break;
    }
    case 'cloudformation':
      if (operation === 'DescribeStacks')
        return one(`arn:aws:cloudformation:${region}:${account}:stack/${str('StackName')}/*`);
      break;
    case 'logs':
      // CloudWatch Logs evaluates group-level reads against `log-group:<name>:*`, the form CDK grants.
      if (operation === 'FilterLogEvents')
        return one(`arn:aws:logs:${region}:${account}:log-group:${str('logGroupName')}:*`);
      break;
  }
  throw new Error(
    `no IAM mapping for ${service}:${operation}: add it to test/support/iam/requests.ts before using it`,
  );
}
