/**
 * What a benchmark host needs, as an instance profile to attach to the instances: the SSM agent's core
 * permissions (AmazonSSMManagedInstanceCore) and writing its command outputs to the output bucket — only
 * under `runs/*\/outputs/*`. Which instances the stack may command is decided by the `fleetbench=true`
 * tag (see RunFunctions), not by this profile.
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag.js';

export interface HostAccessProps {
  readonly outputBucket: s3.Bucket;
}

/**
 * @example
 * const hostAccess = new HostAccess(this, 'HostAccess', { outputBucket: outputs.bucket });
 * new CfnOutput(this, 'InstanceProfileArn', { value: hostAccess.instanceProfile.instanceProfileArn });
 */
export class HostAccess extends Construct {
  readonly role: iam.Role;
  readonly instanceProfile: iam.InstanceProfile;

  constructor(scope: Construct, id: string, props: HostAccessProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'fleetbench benchmark hosts: SSM agent, command outputs to the output bucket',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    // The SSM agent uploads outputs itself (with an ACL header) and checks the bucket's encryption first.
    const outputs = props.outputBucket.arnForObjects('runs/*/outputs/*');
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:PutObjectAcl'], resources: [outputs] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetEncryptionConfiguration'],
        resources: [props.outputBucket.bucketArn],
      }),
    );
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for the SSM agent (registration, Run Command messages); a copy would silently drift from what the agent needs.',
    });
    acknowledgeWildcards(
      this.role,
      [outputs],
      'Hosts write outputs under runs/<runId>/outputs/<commandId>/, whose ids are only known at run time; the wildcard is limited to that layout.',
    );
  }
}
