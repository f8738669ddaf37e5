import { gzipSync } from 'node:zlib';
import { BodyError, parseJsonBody } from '../../../src/platform/json-body';

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BodyError);
    const { status, type, message } = err as BodyError;
    return { status, type, message };
  }
  throw new Error('expected a BodyError');
};

describe('parseJsonBody', () => {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');

  it('parses any JSON value whatever the content type, and an empty body as {}', () => {
    expect(parseJsonBody(utf8('{"a":1}'), 'application/x-www-form-urlencoded', undefined)).toEqual({
      a: 1,
    });
    expect(parseJsonBody(utf8('"alice"'), undefined, undefined)).toBe('alice');
    expect(parseJsonBody(utf8(''), 'application/json', undefined)).toEqual({});
  });

  it('decodes the charset the content type names, and refuses one that is not UTF with 415', () => {
    const body = Buffer.from('{"name":"zoë"}', 'utf16le');
    expect(parseJsonBody(body, 'application/json; charset="UTF-16LE"', undefined)).toEqual({
      name: 'zoë',
    });
    expect(
      failure(() => parseJsonBody(utf8('{}'), 'text/plain; charset=iso-8859-1', undefined)),
    ).toEqual({
      status: 415,
      type: 'charset.unsupported',
      message: 'unsupported charset "ISO-8859-1"',
    });
  });

  it('reports malformed JSON with the parser message, as body-parser does', () => {
    expect(failure(() => parseJsonBody(utf8('{"a":'), 'application/json', undefined))).toEqual({
      status: 400,
      type: 'entity.parse.failed',
      message: expect.stringMatching(/JSON/),
    });
  });

  it('inflates, and refuses what it cannot inflate or what inflates past the limit', () => {
    expect(parseJsonBody(gzipSync('{"a":1}'), undefined, 'GZIP')).toEqual({ a: 1 });
    expect(failure(() => parseJsonBody(utf8('{}'), undefined, 'compress')).status).toBe(415);
    expect(failure(() => parseJsonBody(utf8('not gzip'), undefined, 'gzip')).status).toBe(400);
    const big = gzipSync(JSON.stringify({ pad: 'x'.repeat(65 * 1024) }));
    expect(failure(() => parseJsonBody(big, undefined, 'gzip'))).toMatchObject({
      status: 413,
      type: 'entity.too.large',
    });
  });
});
