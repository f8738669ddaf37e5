/**
 * A client's POST of `body` as JSON to `url` + `path`, with its bearer token when it has one;
 * `timeoutMs` bounds a request that a stopped node would leave hanging.
 */
export function postJson(
  url: string,
  path: string,
  body: unknown,
  { token, timeoutMs }: { token?: string; timeoutMs?: number } = {},
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
    ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
  });
}
