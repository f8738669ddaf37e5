import { registerDecorator, type ValidationArguments } from 'class-validator';
import { hostPortError } from './field-rules';

/** `host:port` with an IPv4 address, a bracketed IPv6 address or a DNS name; port 1-65535. */
export function IsHostPort(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isHostPort',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => hostPortError(propertyName as string, value) === null,
        defaultMessage: (args?: ValidationArguments) =>
          hostPortError(args?.property ?? String(propertyName), args?.value) ?? 'invalid',
      },
    });
  };
}
