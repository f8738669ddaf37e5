import { BadRequestException } from '@nestjs/common';
import { HeartbeatDto } from '../../../src/clients/dto/heartbeat.dto';
import { validateHeartbeat } from '../../../src/clients/dto/heartbeat.validator';
import { createValidationPipe } from '../../../src/common/http/validation.pipe';

/** The same rules with no hand-written validator: class-transformer and class-validator. */
class ReflectedHeartbeatDto extends HeartbeatDto {}

const pipe = createValidationPipe();

/** The pipe's answer for a body: the message of its 400, or the fields it passes on. */
async function answer(metatype: typeof HeartbeatDto, body: unknown) {
  try {
    const value = (await pipe.transform(body, { type: 'body', metatype })) as HeartbeatDto;
    return { username: value.username, addr: value.addr ?? null };
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestException);
    return ((err as BadRequestException).getResponse() as { message: string }).message;
  }
}

const usernames: unknown[] = [
  undefined,
  null,
  'alice',
  'A.b_c-9',
  '',
  'x'.repeat(64),
  'x'.repeat(65),
  'al ice',
  'al/ice',
  7,
  true,
  ['alice'],
  { name: 'alice' },
];
const addrs: unknown[] = [
  undefined,
  null,
  '192.168.1.10:9000',
  '[::1]:65535',
  'peer-1.example.org:443',
  'nope',
  '1.2.3.4',
  '1.2.3.4:0',
  '1.2.3.4:65536',
  '::1:80',
  '[zz::1]:80',
  '300.1.1.1:80',
  'bad_host:80',
  9000,
  ['1.2.3.4:5'],
];
const extras: Record<string, unknown>[] = [{}, { role: 'admin' }, { role: 1, zz: null }];

const bodies: Record<string, unknown>[] = [];
for (const username of usernames)
  for (const addr of addrs)
    for (const extra of extras) {
      const body: Record<string, unknown> = { ...extra };
      if (username !== undefined) body.username = username;
      if (addr !== undefined) body.addr = addr;
      bodies.push(body);
    }
// Keys the pipe strips as prototype pollution, not refused as unknown.
bodies.push(JSON.parse('{"username":"alice","__proto__":{"x":1}}') as Record<string, unknown>);
bodies.push({ username: 'alice', constructor: 'x', prototype: 1 });

describe('validateHeartbeat', () => {
  it(`answers as class-validator does, message for message, on ${bodies.length} bodies`, async () => {
    for (const body of bodies) {
      // Each path gets its own copy: the reflected one strips keys from the body in place.
      const reflected = await answer(ReflectedHeartbeatDto, structuredClone(body));
      const handWritten = await answer(HeartbeatDto, structuredClone(body));
      expect({ body, answer: handWritten }).toEqual({ body, answer: reflected });
    }
  });

  it('is what the pipe runs for HeartbeatDto', async () => {
    expect(await answer(HeartbeatDto, { username: 'al ice', addr: 'nope', role: 1 })).toBe(
      "property role should not exist; username may only contain letters, digits, '.', '_' and '-'; " +
        'addr must be host:port with an IPv4 address, a bracketed IPv6 address or a DNS name and a port 1-65535 ("nope" is not host:port)',
    );
    expect(validateHeartbeat({ username: 'alice' })).toEqual({
      ok: true,
      value: { username: 'alice', addr: undefined },
    });
  });

  it('still refuses a body that is not an object, before any field rule', async () => {
    for (const body of [null, 'alice', [1], 42]) {
      expect(await answer(HeartbeatDto, body)).toBe('Request body must be a JSON object');
    }
  });
});
