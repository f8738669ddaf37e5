import { Controller, HttpCode, Post } from '@nestjs/common';
import request from 'supertest';
import { AdminOnly } from '../../src/admin/admin-only';
import { NodeLogger } from '../../src/common/logging/node-logger';
import { type ModuleApp, PLATFORMS, startModuleApp } from './support/module-app';

const TOKEN = 'an-admin-token-of-some-length';

/** A stand-in admin route that counts what it did, so a refused request is seen to do nothing. */
@Controller()
class ProbeController {
  static calls = 0;

  @Post('admin-probe')
  @HttpCode(200)
  @AdminOnly()
  act() {
    ProbeController.calls++;
    return { success: true };
  }
}

describe.each(PLATFORMS)('an @AdminOnly() route on %s', (platform) => {
  let node: ModuleApp;
  let logged: string[];
  const start = async (env: Record<string, string>) => {
    node = await startModuleApp({ modules: [], controllers: [ProbeController], platform, env });
    logged = [];
    node.app.useLogger(new NodeLogger('trace', 'text', 'n', (line) => logged.push(line)));
  };
  beforeEach(() => (ProbeController.calls = 0));
  afterEach(() => node.close());

  describe('with ADMIN_TOKEN set', () => {
    beforeEach(() => start({ ADMIN_TOKEN: TOKEN }));

    it('runs the route for the right bearer token', async () => {
      await request(node.http)
        .post('/admin-probe')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(200, { success: true });
      expect(ProbeController.calls).toBe(1);
    });

    it('answers 401 without a token, changing nothing', async () => {
      const res = await request(node.http).post('/admin-probe').expect(401);
      expect(res.body).toEqual({
        success: false,
        message: 'This admin route needs "Authorization: Bearer <ADMIN_TOKEN>"',
      });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(ProbeController.calls).toBe(0);
    });

    it.each([
      ['another token', `Bearer ${TOKEN}x`],
      ['a prefix of it', `Bearer ${TOKEN.slice(0, -1)}`],
      ['another scheme', `Basic ${TOKEN}`],
    ])('answers 401 for %s, changing nothing', async (_what, header) => {
      const res = await request(node.http).post('/admin-probe').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body.success).toBe(false);
      expect(ProbeController.calls).toBe(0);
    });

    it('keeps the token out of the config as printed and out of the trace log', async () => {
      await request(node.http).post('/admin-probe').set('Authorization', `Bearer ${TOKEN}`);
      await request(node.http).post('/admin-probe').set('Authorization', `Bearer wrong-${TOKEN}`);
      expect(JSON.stringify(node.config)).toContain('"adminToken":"[admin token]"');
      expect(`${String(node.config.adminToken)}`).toBe('[admin token]');
      expect(logged.join('\n')).not.toContain(TOKEN);
    });
  });

  it('answers 403 saying how to turn admin routes on when no token is configured', async () => {
    await start({});
    const res = await request(node.http)
      .post('/admin-probe')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(403);
    expect(res.body.success).toBe(false);
    expect(res.body.message).toMatch(/ADMIN_TOKEN \(or ADMIN_TOKEN_FILE\)/);
    expect(ProbeController.calls).toBe(0);
  });
});
