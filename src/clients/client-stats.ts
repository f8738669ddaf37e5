import { Injectable } from '@nestjs/common';

/**
 * Running totals of the leader's client work, read by /metrics when scraped. Plain numbers, not
 * metric objects, so the heartbeat path pays one increment and nothing else.
 */
@Injectable()
export class ClientStats {
  heartbeats = 0;
  registrations = 0;
}
