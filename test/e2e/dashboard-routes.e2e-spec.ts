import { type InProcessNode, startInProcessNode } from '../support/in-process-node';
import request from 'supertest';
import type { App } from 'supertest/types';

/**
 * The dashboard's routes on the HTTP platform under test (this spec runs on both): files go out
 * through Nest's StreamableFile, whose headers each platform sets its own way. From source they
 * come from src/dashboard/public, as they are; the Chromium specs load the page.
 */
describe('dashboard routes', () => {
  let node: InProcessNode;
  let http: App;

  beforeAll(async () => {
    node = await startInProcessNode();
    http = node.http;
  });

  afterAll(() => node.close());

  it('serves the page with its type and a policy that keeps every load on this node', async () => {
    const res = await request(http).get('/dashboard').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'self'/);
    expect(res.text).toContain('<script type="module" src="/dashboard/main.js">');
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves its stylesheet as CSS', async () => {
    const res = await request(http).get('/dashboard/style.css').expect(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves its script modules as JavaScript, which browsers require of them', async () => {
    for (const name of ['main.js', 'api.js']) {
      const res = await request(http).get(`/dashboard/${name}`).expect(200);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('answers 404 for any other name, a path outside the folder included', async () => {
    await request(http).get('/dashboard/nothing.js').expect(404);
    // Its type-checking config sits in the folder; it is not one of the page's files.
    await request(http).get('/dashboard/tsconfig.json').expect(404);
    await request(http).get('/dashboard/..%2Fdashboard.controller.ts').expect(404);
    await request(http).get('/dashboard/..%2F..%2Fpackage.json').expect(404);
  });

  it('serves the node’s own feed and online list', async () => {
    const events = await request(http).get('/cluster/events').expect(200);
    expect(events.body.events).toContainEqual(
      expect.objectContaining({
        kind: 'election',
        term: 1,
        message: expect.stringContaining('won election'),
      }),
    );
    await request(http).post('/register').send({ username: 'alice', addr: '10.0.0.1:9000' });
    await request(http).post('/heartbeat').send({ username: 'alice' }).expect(200);
    const online = await request(http).get('/cluster/online').expect(200);
    expect(online.body).toEqual({
      online_clients: [expect.objectContaining({ username: 'alice', addr: '10.0.0.1:9000' })],
      count: 1,
    });
  });
});
