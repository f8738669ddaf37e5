import { Controller, HttpCode, Post } from '@nestjs/common';
import request from 'supertest';
import { ClientsModule } from '../../src/clients/clients.module';
import { RegisterLimit } from '../../src/clients/register-limit';
import { LeadershipState } from '../../src/election/leadership-state';
import { waitFor } from '../support/poll';
import { type ModuleApp, PLATFORMS, startModuleApp } from './support/module-app';

const LIMIT = 2;

/** Routes the limit knows nothing about but their metadata: none is called register. */
@Controller('probe')
class ProbeController {
  @Post('sign-up')
  @RegisterLimit()
  @HttpCode(200)
  signUp() {
    return { success: true };
  }

  @Post('unmarked')
  @HttpCode(200)
  unmarked() {
    return { success: true };
  }
}

/** Marked as a whole: every route in it is limited. */
@Controller('probe-all')
@RegisterLimit()
class MarkedController {
  @Post('any')
  @HttpCode(200)
  any() {
    return { success: true };
  }
}

describe.each(PLATFORMS)('the register limit in ClientsModule on %s', (platform) => {
  let node: ModuleApp;
  beforeEach(async () => {
    node = await startModuleApp({
      modules: [ClientsModule],
      controllers: [ProbeController, MarkedController],
      platform,
      file: { registerLimit: LIMIT, extra: 'register_window_ms = 60000' },
    });
    const leadership = node.app.get(LeadershipState);
    await waitFor('the node to lead', () => leadership.canServeAsLeader());
  });
  afterEach(() => node.close());

  const register = (username: string) =>
    request(node.http).post('/register').send({ username, addr: '127.0.0.1:9000' });

  it('refuses registrations past the limit with 429, and never limits heartbeats', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const ok = await register(`user${i}`).expect(200);
      expect(ok.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1 - i));
    }
    const refused = await register('one-too-many').expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Refused before the leader's guard lets it in: not an answer served in a term.
    expect(refused.headers['rollcall-term']).toBeUndefined();
    expect(refused.body).toEqual({
      success: false,
      message: expect.stringMatching(
        /^Too many registrations from this address: at most 2 per 60 s\. Retry in \d+ s\.$/,
      ) as unknown,
    });
    for (let i = 0; i < LIMIT + 3; i++) {
      const beat = await request(node.http).post('/heartbeat').send({ username: 'user0' });
      expect(beat.status).toBe(200);
      expect(beat.headers['x-ratelimit-limit']).toBeUndefined();
    }
    const users = await request(node.http).get('/users').expect(200);
    expect(users.body.count).toBe(LIMIT);
  });

  it('limits a route by its @RegisterLimit() mark, whatever its handler is called', async () => {
    for (const path of ['/probe/sign-up', '/probe-all/any']) {
      for (let i = 0; i < LIMIT; i++) await request(node.http).post(path).expect(200);
      const refused = await request(node.http).post(path).expect(429);
      expect(refused.body.message).toMatch(/^Too many registrations from this address/);
    }
  });

  it('never limits a route without the mark', async () => {
    for (let i = 0; i < LIMIT + 3; i++) {
      const res = await request(node.http).post('/probe/unmarked').expect(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});
