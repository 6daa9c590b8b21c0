/**
 * Where hosts write the full stdout/stderr of every command (SSM `OutputS3BucketName`), under
 * `runs/<runId>/outputs/<commandId>/`. Private (all public access blocked, TLS only, SSE-S3 so instances
 * need no KMS permission), outputs expire after 90 days (metrics are already in the journal), and access
 * is logged to a second bucket (cdk-nag accepts an access-log destination without logs of its own). Both are retained when the stack is deleted.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The prefix every command output is written under. */
export const OUTPUTS_PREFIX = 'runs/';

export interface OutputBucketProps {
  /** How long command outputs are kept. @default Duration.days(90) */
  readonly outputRetention?: Duration;
  /** How long access logs are kept. @default Duration.days(365) */
  readonly accessLogRetention?: Duration;
}

/**
 * @example
 * const outputs = new OutputBucket(this, 'Outputs');
 * outputs.bucket.grantRead(fn, 'runs/*');
 */
export class OutputBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: OutputBucketProps = {}) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // exactOptionalPropertyTypes sees Bucket's optional members as incompatible with IBucket's.
      serverAccessLogsBucket: this.accessLogs as s3.IBucket,
      serverAccessLogsPrefix: 'outputs/',
      lifecycleRules: [
        {
          prefix: OUTPUTS_PREFIX,
          expiration: props.outputRetention ?? Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
