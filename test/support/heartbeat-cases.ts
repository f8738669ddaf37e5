import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import type { App } from 'supertest/types';

/** Heartbeats of every kind a client may send, for tests that compare two ways of serving them. */

/** One heartbeat a client may send, good or bad. */
export interface Beat {
  what: string;
  body: string;
  contentType?: string;
  token?: 'alice' | 'wrong' | 'malformed';
}

export const BEATS: Beat[] = [
  { what: 'a registered client', body: '{"username":"alice"}' },
  {
    what: 'a client at a new addr with its token',
    body: '{"username":"alice","addr":"9.9.9.9:1"}',
    token: 'alice',
  },
  {
    what: 'a client at a new addr without its token',
    body: '{"username":"alice","addr":"8.8.8.8:1"}',
  },
  { what: 'a wrong token', body: '{"username":"alice"}', token: 'wrong' },
  { what: 'a malformed Authorization header', body: '{"username":"alice"}', token: 'malformed' },
  { what: 'a client never registered', body: '{"username":"nobody"}' },
  { what: 'no username', body: '{}' },
  { what: 'a bad username and a bad addr', body: '{"username":"a b","addr":"nowhere"}' },
  { what: 'an unknown field', body: '{"username":"alice","extra":1}' },
  { what: 'an array', body: '[1,2]' },
  { what: 'a scalar', body: '42' },
  { what: 'malformed JSON', body: '{"username":' },
  {
    what: 'JSON sent as a form',
    body: '{"username":"alice"}',
    contentType: 'application/x-www-form-urlencoded',
  },
];

/** Sends `beat` to `path`, with alice's `token` (or a wrong or malformed one) as it asks. */
export function sendBeat(http: App, path: string, token: string, beat: Beat): request.Test {
  const authorization = {
    alice: `Bearer ${token}`,
    wrong: `Bearer ${'x'.repeat(token.length)}`,
    malformed: token,
  };
  const req = request(http)
    .post(path)
    .set('content-type', beat.contentType ?? 'application/json');
  if (beat.token) req.set('authorization', authorization[beat.token]);
  return req.send(beat.body);
}

/** The headers as they were sent, name and value in order (superagent keeps Node's response). */
export function rawHeadersOf(res: request.Response): string[] {
  return (res as unknown as { res: IncomingMessage }).res.rawHeaders;
}
