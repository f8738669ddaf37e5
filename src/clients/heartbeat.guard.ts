import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type Admission, HeartbeatAdmission, type HeartbeatVia } from './heartbeat-admission';

/** Where the guard leaves its decision on the request, for the handler (@HeartbeatVia()). */
const ADMISSION = Symbol('rollcall.heartbeat-admission');

type WithAdmission = { [ADMISSION]?: Admission };

/**
 * The guard of POST /heartbeat on Nest's router (Express; Fastify answers from
 * HeartbeatEndpoint): HeartbeatAdmission's decision, its headers stamped as LeaderGuard stamps
 * the term, and its role left on the request for the handler.
 */
@Injectable()
export class HeartbeatGuard implements CanActivate {
  constructor(
    private readonly admission: HeartbeatAdmission,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const admitted = this.admission.admit();
    const http = context.switchToHttp();
    const res: unknown = http.getResponse();
    for (const [name, value] of this.admission.headersOf(admitted)) {
      this.adapterHost.httpAdapter.setHeader(res, name, value);
    }
    http.getRequest<WithAdmission>()[ADMISSION] = admitted;
    return true;
  }
}

/** The role HeartbeatGuard let this request in under. */
export const AdmittedVia = createParamDecorator(
  (_: unknown, context: ExecutionContext): HeartbeatVia =>
    context.switchToHttp().getRequest<WithAdmission>()[ADMISSION]?.via ?? 'leader',
);
