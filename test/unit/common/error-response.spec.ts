import { BadRequestException, HttpException } from '@nestjs/common';
import {
  ClientTokenError,
  DiskUnavailableError,
  DriveImportPendingError,
  TooManyRegistrationsError,
  UnknownUserError,
  UsernameTakenError,
} from '../../../src/clients/client-errors';
import { toErrorResponse } from '../../../src/common/http/error-response';
import {
  LeaseNotHeldError,
  NoLeaderError,
  LeaderElsewhereError,
} from '../../../src/common/http/leadership-errors';

/** Each failure a route can meet, and the exact answer (status, body, headers) it gets. */
describe('toErrorResponse', () => {
  const noLeaderFields = { current_leader: null, leader_api: null };

  it.each([
    [
      'a follower that knows the leader',
      new LeaderElsewhereError('127.0.0.1:8080', 'http://127.0.0.1:3000'),
      403,
      { current_leader: '127.0.0.1:8080', leader_api: 'http://127.0.0.1:3000' },
      undefined,
    ],
    [
      'a leader without its lease',
      new LeaseNotHeldError(),
      503,
      noLeaderFields,
      { 'Retry-After': '1' },
    ],
    ['an election under way', new NoLeaderError(), 503, noLeaderFields, { 'Retry-After': '1' }],
    ['a Drive import not yet done', new DriveImportPendingError(), 503, {}, { 'Retry-After': '1' }],
    ['a full disk', new DiskUnavailableError('disk full'), 503, {}, { 'Retry-After': '5' }],
    [
      'a wrong client token',
      new ClientTokenError('bad token'),
      401,
      {},
      { 'WWW-Authenticate': 'Bearer' },
    ],
    [
      'too many registrations',
      new TooManyRegistrationsError(3, 60_000, 17),
      429,
      {},
      { 'Retry-After': '17' },
    ],
    ['a taken name', new UsernameTakenError('ada'), 409, {}, undefined],
    ['an unknown user', new UnknownUserError('ada'), 404, {}, undefined],
  ])('answers %s with its own status, body and headers', (_what, err, status, fields, headers) => {
    const expected: Record<string, unknown> = {
      status,
      body: { success: false, message: err.message, ...fields },
    };
    if (headers) expected.headers = headers;
    expect(toErrorResponse(err)).toStrictEqual(expected);
  });

  it('answers a Nest HttpException with its status and the validation messages joined', () => {
    const err = new BadRequestException(['username is required', 'addr must be a string']);
    expect(toErrorResponse(err)).toStrictEqual({
      status: 400,
      body: { success: false, message: 'username is required; addr must be a string' },
    });
  });

  it('answers a malformed JSON body with 400 and an oversized one with 413', () => {
    const malformed = new HttpException('Bad Request', 400, {
      cause: Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed' }),
    });
    expect(toErrorResponse(malformed).body.message).toBe(
      'Malformed JSON in request body: Unexpected token',
    );
    const tooLarge = Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(toErrorResponse(tooLarge).status).toBe(413);
  });

  it('answers anything else with a 500 that is logged as the server’s fault', () => {
    expect(toErrorResponse(new Error('boom'))).toStrictEqual({
      status: 500,
      body: { success: false, message: 'Internal server error' },
      internal: true,
    });
  });
});
