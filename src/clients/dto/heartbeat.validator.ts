import type { BodyCheck } from '../../common/http/body-validator';
import type { HeartbeatDto } from './heartbeat.dto';
import { hostPortError, unknownPropertyError, usernameError } from './field-rules';

/** Keys the validation pipe strips before validating, so they are neither errors nor fields. */
const PROTO_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * HeartbeatDto's rules without reflection, in class-validator's order: unknown properties
 * first, then username, then addr, each field with its first broken rule only.
 */
export function validateHeartbeat(body: Record<string, unknown>): BodyCheck<HeartbeatDto> {
  let messages: string[] | null = null;
  for (const key of Object.keys(body)) {
    if (key !== 'username' && key !== 'addr' && !PROTO_KEYS.has(key)) {
      (messages ??= []).push(unknownPropertyError(key));
    }
  }
  const { username, addr } = body;
  const badName = usernameError(username);
  if (badName) (messages ??= []).push(badName);
  // Optional: a missing or null addr means "where I registered".
  const badAddr = addr === undefined || addr === null ? null : hostPortError('addr', addr);
  if (badAddr) (messages ??= []).push(badAddr);
  if (messages) return { ok: false, messages };
  return {
    ok: true,
    value: { username: username as string, addr: (addr ?? undefined) as string | undefined },
  };
}
