import { HeartbeatEndpoint } from '../../../src/clients/heartbeat-endpoint';
import type { ClientsService } from '../../../src/clients/clients.service';
import type { HeartbeatAdmission } from '../../../src/clients/heartbeat-admission';

const OK = { success: true as const, message: "Heartbeat accepted for 'alice' at 1.2.3.4:5" };

/** The endpoint over an admission that lets everything in, in term 3, and the given service. */
function endpointOver(heartbeat: () => typeof OK | Promise<typeof OK>): HeartbeatEndpoint {
  const admission = {
    admit: () => ({ term: 3, via: 'leader' }),
    headersOf: () => [['Rollcall-Term', '3']],
  } as unknown as HeartbeatAdmission;
  return new HeartbeatEndpoint(admission, { heartbeat } as unknown as ClientsService);
}

describe('HeartbeatEndpoint', () => {
  it('answers a heartbeat taken at once with no mark of a round', async () => {
    const out = await endpointOver(() => OK).answer({ username: 'alice' }, undefined);
    expect(out).toEqual({ status: 200, body: OK, headers: [['Rollcall-Term', '3']] });
  });

  it('marks the answer to a heartbeat that waited for a round with its peers', async () => {
    const out = await endpointOver(() => Promise.resolve(OK)).answer({ username: 'alice' }, '');
    expect(out).toEqual({
      status: 200,
      body: OK,
      headers: [['Rollcall-Term', '3']],
      afterRound: true,
    });
  });

  it('answers a body that fails its check with the JSON error, having asked the service nothing', async () => {
    const heartbeat = jest.fn(() => OK);
    const out = await endpointOver(heartbeat).answer({ username: 42 }, undefined);
    expect(out.status).toBe(400);
    expect(out.body).toMatchObject({ success: false });
    expect(heartbeat).not.toHaveBeenCalled();
  });
});
