import { jsonReply, type Reply } from './http-reply';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export interface ErrorDetail {
  reason: string;
  message: string;
  location?: string;
  locationType?: 'parameter' | 'header';
}

/** The JSON error body Google's REST APIs answer with, so clients parse it as they would in production. */
export function googleError(
  code: number,
  detail: ErrorDetail,
  headers: Record<string, string> = {},
): Reply {
  return jsonReply(
    code,
    {
      error: {
        code,
        message: detail.message,
        errors: [{ domain: 'global', ...detail }],
        status: STATUS_NAMES[code] ?? 'UNKNOWN',
      },
    },
    headers,
  );
}

export function fileNotFound(id: string, location = 'fileId'): Reply {
  return googleError(404, {
    reason: 'notFound',
    message: `File not found: ${id}.`,
    location,
    locationType: 'parameter',
  });
}

export function invalidParameter(location: string, problem: string): Reply {
  return googleError(400, {
    reason: 'invalidParameter',
    message: `Invalid Value for ${location}: ${problem}`,
    location,
    locationType: 'parameter',
  });
}

/** Thrown inside handlers to short-circuit with a Google-shaped answer. */
export class DriveApiError extends Error {
  constructor(readonly reply: Reply) {
    super(`drive emulator error ${reply.status}`);
  }
}
