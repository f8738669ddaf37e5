/** A registration, as stored and as served by `/users` (the seed's field names). */
export interface RegisteredUser {
  user_id: string;
  username: string;
  addr: string;
  /** ISO-8601 wall-clock time of the registration. */
  registered_at: string;
}

export function isRegisteredUser(v: unknown): v is RegisteredUser {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.user_id === 'string' &&
    typeof r.username === 'string' &&
    typeof r.addr === 'string' &&
    typeof r.registered_at === 'string'
  );
}
