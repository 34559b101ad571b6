/**
 * S3 answers that the local test server cannot produce (AWS region redirects, clock skew,
 * throttling codes on 400) mapped to the right error code, retryability and fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Client } from '../../src/store/s3-client.ts';
import type { S3Request } from '../../src/store/s3-client.ts';

const client = new S3Client({ endpoint: 'https://s3.us-east-1.amazonaws.com', region: 'us-east-1', bucket: 'pw-reports', forcePathStyle: false, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example-secret' } });
const req: S3Request = { operation: 'PutObject', method: 'PUT', key: 'p/reports/a.json' };
const xml = (code: string, extra = '') => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m &amp; more</Message>${extra}<RequestId>RID1</RequestId></Error>`);

test('S3 error answers: code, retryability and the fix named', async (t) => {
  t.after(() => client.close());
  const cases: Array<[number, Record<string, string>, Buffer, string, boolean, RegExp]> = [
    [301, { 'x-amz-bucket-region': 'eu-west-1' }, xml('PermanentRedirect'), 's3_wrong_region', false, /bucket is in region eu-west-1, not us-east-1: set --s3-region eu-west-1/],
    [400, {}, xml('AuthorizationHeaderMalformed', '<Region>ap-south-1</Region>'), 's3_wrong_region', false, /set --s3-region ap-south-1/],
    [403, {}, xml('RequestTimeTooSkewed'), 's3_clock_skew', false, /clock differs from the server's by more than 15 minutes/],
    [403, {}, xml('ExpiredToken'), 's3_credentials', false, /session token is expired or invalid/],
    [403, {}, Buffer.alloc(0), 's3_access_denied', false, /denied PutObject s3:\/\/pw-reports\/p\/reports\/a\.json/],
    [503, {}, xml('SlowDown'), 's3_unavailable', true, /answered 503 to PutObject .*: m & more \(SlowDown\) \[request id RID1\]/],
    [400, {}, xml('RequestTimeout'), 's3_unavailable', true, /RequestTimeout/],
    [400, {}, xml('InvalidArgument'), 's3_error', false, /answered 400/],
  ];
  for (const [status, headers, body, code, retryable, re] of cases) {
    const s3Code = /<Code>([^<]*)</.exec(body.toString())?.[1];
    const err = client.toError(req, { status, headers, body, ...(s3Code ? { code: s3Code } : {}) });
    assert.equal(err.code, code, `${status} ${s3Code}: ${err.message}`);
    assert.equal(err.retryable, retryable, `${status} ${s3Code}`);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('example-secret') && !err.message.includes('AKIAEXAMPLE'));
  }
});
