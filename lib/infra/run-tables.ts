/**
 * The journal and the catalog, built from the very schemas the repositories and the local engine use
 * (lib/adapters/dynamodb/tables.ts), so the key layout cannot differ between the targets. Both tables are
 * on-demand (a run writes in bursts, then nothing for days), point-in-time recoverable, encrypted with
 * the AWS-managed key, and retained when the stack is deleted: they are the benchmark results.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { catalogTableSchema, journalTableSchema, type TableSchema } from '../adapters/dynamodb/tables.js';

/** The CDK attribute of a key named in a schema. */
function attribute(schema: TableSchema, name: string): dynamodb.Attribute {
  const definition = schema.AttributeDefinitions.find((a) => a.AttributeName === name);
  const types: Record<string, dynamodb.AttributeType> = {
    S: dynamodb.AttributeType.STRING,
    N: dynamodb.AttributeType.NUMBER,
    B: dynamodb.AttributeType.BINARY,
  };
  const type = types[definition?.AttributeType ?? ''];
  if (!type) throw new Error(`table schema defines no type for key ${name}`);
  return { name, type };
}

/** Partition and sort key of a key schema. */
function keys(
  schema: TableSchema,
  keySchema: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[],
): { partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute } {
  const hash = keySchema.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = keySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  if (!hash) throw new Error('table schema has no HASH key');
  return { partitionKey: attribute(schema, hash), ...(range ? { sortKey: attribute(schema, range) } : {}) };
}

function table(scope: Construct, id: string, schema: TableSchema): dynamodb.Table {
  const t = new dynamodb.Table(scope, id, {
    ...keys(schema, schema.KeySchema),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const index of schema.GlobalSecondaryIndexes ?? []) {
    if (!index.IndexName || !index.KeySchema) continue;
    t.addGlobalSecondaryIndex({
      indexName: index.IndexName,
      ...keys(schema, index.KeySchema),
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return t;
}

/**
 * @example
 * const tables = new RunTables(this, 'Tables');
 * new CfnOutput(this, 'JournalTableName', { value: tables.journal.tableName });
 */
export class RunTables extends Construct {
  readonly journal: dynamodb.Table;
  readonly catalog: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.journal = table(this, 'Journal', journalTableSchema);
    this.catalog = table(this, 'Catalog', catalogTableSchema);
  }
}
