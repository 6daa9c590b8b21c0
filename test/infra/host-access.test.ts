import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, it } from 'vitest';
import { HostAccess } from '../../lib/infra/host-access.js';
import { OutputBucket } from '../../lib/infra/output-bucket.js';
import { minimalTemplate } from '../support/cdk/minimal-stack.js';

let template: Template;

beforeAll(() => {
  template = minimalTemplate(
    (stack) =>
      new HostAccess(stack, 'HostAccess', { outputBucket: new OutputBucket(stack, 'Outputs').bucket }),
  );
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
