import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OutputBucket } from '../../lib/infra/output-bucket.js';
import { minimalTemplate } from '../support/cdk/minimal-stack.js';

let template: Template;

beforeAll(() => {
  template = minimalTemplate((stack) => new OutputBucket(stack, 'Outputs'));
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
