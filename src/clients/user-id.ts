import { randomUUID } from 'node:crypto';

/**
 * A new user's id (UUID v4). randomUUID's result is a V8 rope of ~15 pieces (~490 B) and the id
 * is kept for every user for good, so it is copied flat (~66 B; measured in bench/memory.ts).
 */
export function newUserId(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}
