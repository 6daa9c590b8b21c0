/**
 * The price table: list prices of every AWS request a run bills, the only place prices are written.
 */
/**
 * List prices, us-east-1, on-demand, without free tiers. Read on 2026-11-23 from the AWS pricing pages
 * named in `source`. The only price table of the project: change prices here.
 */
export const AWS_PRICES = {
  region: 'us-east-1',
  readOn: '2026-11-23',
  items: {
    stateTransition: {
      usd: 0.025 / 1_000,
      unit: 'state transition',
      source: 'aws.amazon.com/step-functions/pricing (Standard)',
    },
    lambdaRequest: { usd: 0.2 / 1_000_000, unit: 'request', source: 'aws.amazon.com/lambda/pricing' },
    lambdaGbSecond: {
      usd: 0.0000133334,
      unit: 'GB-second',
      source: 'aws.amazon.com/lambda/pricing (Arm, first 7.5 billion GB-s)',
    },
    dynamoWrite: {
      usd: 0.625 / 1_000_000,
      unit: 'write request unit',
      source: 'aws.amazon.com/dynamodb/pricing/on-demand (Standard table class)',
    },
    dynamoRead: {
      usd: 0.125 / 1_000_000,
      unit: 'read request unit',
      source: 'aws.amazon.com/dynamodb/pricing/on-demand (Standard table class)',
    },
    eventBridgeEvent: {
      usd: 1 / 1_000_000,
      unit: 'custom event (64 KB chunk)',
      source: 'aws.amazon.com/eventbridge/pricing (AWS service events on the default bus are free)',
    },
    s3Put: { usd: 0.005 / 1_000, unit: 'PUT request', source: 'aws.amazon.com/s3/pricing (S3 Standard)' },
    s3Get: { usd: 0.0004 / 1_000, unit: 'GET request', source: 'aws.amazon.com/s3/pricing (S3 Standard)' },
    logsGb: {
      usd: 0.5,
      unit: 'GB of logs ingested',
      source: 'aws.amazon.com/cloudwatch/pricing (Standard and vended logs, first 10 TB)',
    },
    xrayTrace: { usd: 5 / 1_000_000, unit: 'trace recorded', source: 'aws.amazon.com/xray/pricing' },
    ssmRunCommand: {
      usd: 0,
      unit: 'command invocation',
      source: 'aws.amazon.com/systems-manager/pricing (Run Command on EC2: no charge)',
    },
  },
} as const;

export type PriceKey = keyof typeof AWS_PRICES.items;
