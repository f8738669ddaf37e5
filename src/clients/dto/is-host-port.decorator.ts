import { registerDecorator, type ValidationArguments } from 'class-validator';
import { isHostPortError, parseHostPort } from '../../common/address';

/** `host:port` with an IPv4 address, a bracketed IPv6 address or a DNS name; port 1-65535. */
export function IsHostPort(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isHostPort',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && !isHostPortError(parseHostPort(value)),
        defaultMessage: (args?: ValidationArguments) => {
          const value: unknown = args?.value;
          if (typeof value !== 'string') return `${args?.property} must be a string "host:port"`;
          const parsed = parseHostPort(value);
          const why = isHostPortError(parsed) ? parsed.error : 'invalid';
          return `${args?.property} must be host:port with an IPv4 address, a bracketed IPv6 address or a DNS name and a port 1-65535 (${why})`;
        },
      },
    });
  };
}
