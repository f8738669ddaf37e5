import { BadRequestException } from '@nestjs/common';
import { HeartbeatDto } from '../../../src/clients/dto/heartbeat.dto';
import { RegisterDto } from '../../../src/clients/dto/register.dto';
import { createValidationPipe } from '../../../src/common/http/validation.pipe';

const pipe = createValidationPipe();
const validate = (metatype: typeof RegisterDto | typeof HeartbeatDto, body: unknown) =>
  pipe.transform(body, { type: 'body', metatype });

/** Resolves to the 400 message the pipe produces for this body. */
async function messageFor(metatype: typeof RegisterDto | typeof HeartbeatDto, body: unknown) {
  try {
    await validate(metatype, body);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestException);
    return ((err as BadRequestException).getResponse() as { message: string }).message;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be refused`);
}

describe('RegisterDto', () => {
  it.each([
    ['alice', '192.168.1.10:9000'],
    ['a', '10.0.0.1:1'],
    ['A.b_c-9', '[::1]:65535'],
    ['x'.repeat(64), 'peer-1.example.org:443'],
    ['bob', '[2001:db8::1]:80'],
  ])('accepts %s at %s', async (username, addr) => {
    await expect(validate(RegisterDto, { username, addr })).resolves.toEqual({ username, addr });
  });

  it.each([
    [{ addr: '1.2.3.4:5' }, 'username is required'],
    [{ username: 'alice' }, 'addr is required'],
    [{ username: '', addr: '1.2.3.4:5' }, 'username must be 1-64 characters long'],
    [{ username: 'x'.repeat(65), addr: '1.2.3.4:5' }, 'username must be 1-64 characters long'],
    [
      { username: 'al ice', addr: '1.2.3.4:5' },
      "username may only contain letters, digits, '.', '_' and '-'",
    ],
    [
      { username: 'al/ice', addr: '1.2.3.4:5' },
      "username may only contain letters, digits, '.', '_' and '-'",
    ],
    [{ username: 7, addr: '1.2.3.4:5' }, 'username must be a string'],
    [{ username: 'alice', addr: 9000 }, 'addr must be a string "host:port"'],
    [{ username: 'alice', addr: '1.2.3.4' }, '"1.2.3.4" is not host:port'],
    [{ username: 'alice', addr: '1.2.3.4:0' }, 'port 0 is outside 1-65535'],
    [{ username: 'alice', addr: '1.2.3.4:65536' }, 'port 65536 is outside 1-65535'],
    [{ username: 'alice', addr: '::1:80' }, 'an IPv6 host must be in brackets'],
    [{ username: 'alice', addr: '[zz::1]:80' }, '"zz::1" is not an IPv6 address'],
    [{ username: 'alice', addr: '300.1.1.1:80' }, 'neither an IPv4 address nor a DNS name'],
    [{ username: 'alice', addr: 'bad_host:80' }, 'neither an IPv4 address nor a DNS name'],
    [{ username: 'alice', addr: '1.2.3.4:5', admin: true }, 'property admin should not exist'],
  ])('refuses %j: %s', async (body, expected) => {
    expect(await messageFor(RegisterDto, body)).toContain(expected);
  });

  it('names every wrong field once in one message', async () => {
    expect(await messageFor(RegisterDto, { username: '', addr: 'x' })).toBe(
      'username must be 1-64 characters long; addr must be host:port with an IPv4 address, a ' +
        'bracketed IPv6 address or a DNS name and a port 1-65535 ("x" is not host:port)',
    );
  });

  it.each([[[1, 2]], ['alice'], [null], [undefined], [42]])(
    'refuses a body that is not an object: %j',
    async (body) => {
      expect(await messageFor(RegisterDto, body)).toBe('Request body must be a JSON object');
    },
  );
});

describe('HeartbeatDto', () => {
  it('makes addr optional', async () => {
    await expect(validate(HeartbeatDto, { username: 'alice' })).resolves.toEqual({
      username: 'alice',
    });
  });

  it('still checks addr when given', async () => {
    expect(await messageFor(HeartbeatDto, { username: 'alice', addr: 'nope' })).toContain(
      'addr must be host:port',
    );
  });
});
