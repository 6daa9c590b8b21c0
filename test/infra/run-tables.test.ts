import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, it } from 'vitest';
import { RunTables } from '../../lib/infra/run-tables.js';
import { minimalTemplate } from '../support/cdk/minimal-stack.js';

let template: Template;

beforeAll(() => {
  template = minimalTemplate((stack) => new RunTables(stack, 'Tables'));
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
