import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto, LeaderErrorDto } from './error.dto';

const WHY: Record<number, string> = {
  400: 'Malformed JSON, a body that is not an object, or a missing, unknown or wrongly typed field.',
  401: "The Authorization token is malformed or not this client's, or it is needed (to move to another addr, or with require_client_token) and missing. WWW-Authenticate: Bearer.",
  404: 'Unknown username.',
  409: 'The username is already registered, or held by a file in the Drive folder that is not a valid user file (the message names the file and why).',
  413: 'Body over 64 KiB.',
  415: 'Unsupported charset or content encoding.',
  429: 'More than register_limit registrations from this address within register_window_ms; Retry-After says when to try again.',
};

/** The errors a route can answer, each with the `{success:false, message}` body. */
export function ApiErrors(
  ...statuses: (400 | 401 | 404 | 409 | 413 | 415 | 429)[]
): MethodDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: WHY[status], type: ErrorResponseDto }),
    ),
  );
}

/** A leader-only route: 403 naming the leader on a follower, 503 while it cannot serve. */
export function ApiLeaderOnly(extra503 = ''): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status: 403,
      description: 'This node is a follower; the body names the leader and its API.',
      type: LeaderErrorDto,
    }),
    ApiResponse({
      status: 503,
      description: `No leader is known (an election is under way) or the leader does not hold its lease yet; Retry-After: 1.${extra503}`,
      type: LeaderErrorDto,
    }),
  );
}
