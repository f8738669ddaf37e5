import { isHostPortError, parseHostPort } from '../../common/address';

/**
 * The field rules and their messages, shared by the class-validator decorators and the
 * hand-written heartbeat validator, so both say the same thing about the same input.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;
export const USERNAME_MESSAGES = {
  required: 'username is required',
  string: 'username must be a string',
  length: 'username must be 1-64 characters long',
  pattern: "username may only contain letters, digits, '.', '_' and '-'",
} as const;

/** The first rule a username breaks, in the decorators' order, or null. */
export function usernameError(value: unknown): string | null {
  if (value === undefined || value === null) return USERNAME_MESSAGES.required;
  if (typeof value !== 'string') return USERNAME_MESSAGES.string;
  if (value.length < 1 || value.length > 64) return USERNAME_MESSAGES.length;
  if (!USERNAME_PATTERN.test(value)) return USERNAME_MESSAGES.pattern;
  return null;
}

/** Why `value` is not `host:port`, worded for the field `property`, or null when it is. */
export function hostPortError(property: string, value: unknown): string | null {
  if (typeof value !== 'string') return `${property} must be a string "host:port"`;
  const parsed = parseHostPort(value);
  if (!isHostPortError(parsed)) return null;
  return `${property} must be host:port with an IPv4 address, a bracketed IPv6 address or a DNS name and a port 1-65535 (${parsed.error})`;
}

/** `property X should not exist`, as class-validator's whitelist words it. */
export function unknownPropertyError(property: string): string {
  return `property ${property} should not exist`;
}
