import { SetMetadata } from '@nestjs/common';

/** The metadata RegisterThrottleGuard looks for. */
export const REGISTER_LIMIT = 'rollcall:register-limit';

/**
 * Counts the route's requests against register_limit per register_window_ms and address
 * (RegisterThrottleGuard). Metadata rather than a route's name, so renaming or moving the
 * handler keeps the limit where it is.
 */
export const RegisterLimit = () => SetMetadata(REGISTER_LIMIT, true);
