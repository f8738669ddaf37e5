import { Injectable } from '@nestjs/common';
import { answerError } from '../common/http/json-error.filter';
import { checkBody } from '../common/http/validation.pipe';
import { ClientsService } from './clients.service';
import { validateHeartbeat } from './dto/heartbeat.validator';
import { HeartbeatAdmission } from './heartbeat-admission';

/** An answer in the platform's hands: status, JSON body, and headers in the order they are set. */
export interface EndpointAnswer {
  status: number;
  body: unknown;
  headers: [name: string, value: string][];
  /**
   * The answer waited for a round with the peers (the leader's majority, or the leader's reply
   * to a follower): it came with the others of that round, in a burst.
   */
  afterRound?: true;
}

/**
 * `POST /heartbeat` as one call, for the platform to serve without Nest's per-request pipeline
 * (src/platform/fastify-heartbeat.ts). Heartbeats are the load that decides how many clients a
 * cluster holds, and on Fastify the guard, pipe and filter steps around the handler cost more
 * than the heartbeat's own work (docs/BENCHMARKS.md). The steps are the route's own, in its
 * order and from the same code: HeartbeatAdmission's decision and headers (HeartbeatGuard's), the validation pipe's body
 * check, ClientsService.heartbeat, and the JSON error filter's answer. The route in
 * ClientsController stays the one Express serves and the one the OpenAPI document describes.
 */
@Injectable()
export class HeartbeatEndpoint {
  constructor(
    private readonly admission: HeartbeatAdmission,
    private readonly clients: ClientsService,
  ) {}

  async answer(body: unknown, authorization: string | undefined): Promise<EndpointAnswer> {
    const headers: EndpointAnswer['headers'] = [];
    try {
      const admitted = this.admission.admit();
      headers.push(...this.admission.headersOf(admitted));
      const beat = checkBody(body, validateHeartbeat);
      const accepted = this.clients.heartbeat(
        beat.username,
        beat.addr,
        authorization,
        admitted.via,
      );
      if (!(accepted instanceof Promise)) return { status: 200, body: accepted, headers };
      return { status: 200, body: await accepted, headers, afterRound: true };
    } catch (err) {
      const out = answerError(err);
      headers.push(...Object.entries(out.headers ?? {}));
      return { status: out.status, body: out.body, headers };
    }
  }
}
