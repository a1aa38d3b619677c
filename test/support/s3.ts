/**
 * A real S3-protocol server (s3rver) on a loopback port, for tests that go through the real
 * @aws-sdk/client-s3. Data lives in a temp folder, so a stopped server can be started again on
 * the same port with its objects intact (the outage test does this).
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { tempDir } from './tmp.js';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export class TestS3 {
  private server?: S3rver;
  port = 0;
  readonly directory = tempDir('s3rver');

  constructor(readonly bucket = 'ams-test') {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The environment that points the `ams` CLI at this bucket (under `prefix`, if given). */
  cliEnv(prefix?: string): Record<string, string> {
    return {
      AMS_S3_BUCKET: this.bucket,
      ...(prefix !== undefined ? { AMS_S3_PREFIX: prefix } : {}),
      AMS_S3_ENDPOINT_URL: this.endpoint,
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    };
  }

  async start(): Promise<this> {
    this.server = new S3rver({
      address: '127.0.0.1',
      port: this.port,
      silent: true,
      directory: this.directory,
      configureBuckets: [{ name: this.bucket }],
    });
    const addr = await this.server.run();
    this.port = addr.port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.close();
  }

  client(): S3Client {
    return new S3Client({ endpoint: this.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS });
  }

  async keys(prefix = ''): Promise<string[]> {
    const c = this.client();
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await c.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async json<T>(key: string): Promise<T> {
    const res = await this.client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return JSON.parse(await res.Body!.transformToString('utf8')) as T;
  }

  async bytes(key: string): Promise<Buffer> {
    const res = await this.client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async contentType(key: string): Promise<string | undefined> {
    const res = await this.client().send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return res.ContentType;
  }
}
