import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
import request from 'supertest';
import { AdminModule } from '../../src/admin/admin.module';
import { decodeSnapshot } from '../../src/admin/snapshot-file';
import { ClientsModule } from '../../src/clients/clients.module';
import { LeadershipState } from '../../src/election/leadership-state';
import { ReplicatedLog } from '../../src/election/replicated-log';
import { waitFor } from '../support/poll';
import { type ModuleApp, NODE, PLATFORMS, startModuleApp } from './support/module-app';

const TOKEN = 'module-admin-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };

describe.each(PLATFORMS)('AdminModule on %s, the leader of a cluster of one', (platform) => {
  let node: ModuleApp;
  beforeEach(async () => {
    node = await startModuleApp({
      modules: [ClientsModule, AdminModule],
      platform,
      env: { ADMIN_TOKEN: TOKEN },
    });
    const leadership = node.app.get(LeadershipState);
    await waitFor('the node to lead', () => leadership.canServeAsLeader());
  });
  afterEach(() => node.close());

  it('GET /cluster/snapshot streams the registry at the index it has applied', async () => {
    const registered = await request(node.http)
      .post('/register')
      .send({ username: 'alice', addr: '127.0.0.1:9000' })
      .expect(200);
    const res = await request(node.http)
      .get('/cluster/snapshot')
      .set(auth)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const { header, registry } = decodeSnapshot(res.body as Buffer);
    expect(header).toMatchObject({
      index: node.app.get(ReplicatedLog).logPosition().applied_index,
      taken_on: NODE,
      peers: [NODE],
      users: 1,
    });
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="rollcall-snapshot-${header.index}.ndjson"`,
    );
    expect(registry.users.map((u) => [u.user_id, u.username])).toEqual([
      [registered.body.user_id, 'alice'],
    ]);
    expect(registry.token_hashes?.alice).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses both routes without the token, before looking at leadership', async () => {
    await request(node.http).get('/cluster/snapshot').expect(401);
    await request(node.http).post('/cluster/leader/transfer').send({}).expect(401);
  });

  it('POST /cluster/leader/transfer says why when nobody can take over', async () => {
    const alone = await request(node.http)
      .post('/cluster/leader/transfer')
      .set(auth)
      .send({})
      .expect(409);
    expect(alone.body.message).toMatch(/^No follower can take over now/);
    const self = await request(node.http)
      .post('/cluster/leader/transfer')
      .set(auth)
      .send({ to: NODE })
      .expect(409);
    expect(self.body.message).toBe(`${NODE} is already the leader`);
    const stranger = await request(node.http)
      .post('/cluster/leader/transfer')
      .set(auth)
      .send({ to: '127.0.0.1:1' })
      .expect(400);
    expect(stranger.body.message).toBe(`to: 127.0.0.1:1 is not a member (members: ${NODE})`);
    await request(node.http)
      .post('/cluster/leader/transfer')
      .set(auth)
      .send({ to: 'not an address' })
      .expect(400);
    expect(node.app.get(LeadershipState).canServeAsLeader()).toBe(true);
  });

  it('puts both routes in the OpenAPI document behind the bearer scheme', () => {
    const config = new DocumentBuilder().addBearerAuth(undefined, 'admin').build();
    const doc = SwaggerModule.createDocument(node.app, config);
    expect(doc.paths['/cluster/snapshot'].get?.security).toEqual([{ admin: [] }]);
    expect(doc.paths['/cluster/leader/transfer'].post?.security).toEqual([{ admin: [] }]);
    expect(Object.keys(doc.paths['/cluster/snapshot'].get?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '401', '403', '503']),
    );
    for (const [path, method] of [
      ['/cluster/members', 'get'],
      ['/cluster/members', 'post'],
      ['/cluster/members/{node}/promote', 'post'],
      ['/cluster/members/{node}', 'delete'],
    ] as const) {
      expect([path, method, doc.paths[path][method]?.security]).toEqual([
        path,
        method,
        [{ admin: [] }],
      ]);
    }
    expect(Object.keys(doc.paths['/cluster/members'].post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '409', '503']),
    );
  });

  it('membership: adds a learner to a cluster of one, and refuses to make it a voter unseen', async () => {
    const list = await request(node.http).get('/cluster/members').set(auth).expect(200);
    expect(list.body).toEqual({
      members: [
        {
          node: NODE,
          api_url: expect.any(String),
          role: 'voter',
          match_index: expect.any(Number),
          reachable: true,
        },
      ],
      config_index: 0,
    });
    const learner = '127.0.0.1:1';
    const added = await request(node.http)
      .post('/cluster/members')
      .set(auth)
      .send({ node: learner, api_url: 'http://127.0.0.1:2' })
      .expect(200);
    expect(added.body.config_index).toBeGreaterThan(0);
    expect(added.body.members).toContainEqual({
      node: learner,
      api_url: 'http://127.0.0.1:2',
      role: 'learner',
      match_index: 0,
      reachable: false,
    });
    // The known trap of a one-node cluster: a voter that never answers would need 2 of 2.
    const promote = await request(node.http)
      .post(`/cluster/members/${encodeURIComponent(learner)}/promote`)
      .set(auth);
    expect(promote.status).toBe(409);
    expect(promote.body).toMatchObject({ success: false, reason: 'unsafe' });
    expect(promote.body.message).toMatch(/fewer than the majority of 2/);
    const again = await request(node.http)
      .post('/cluster/members')
      .set(auth)
      .send({ node: learner, api_url: 'http://127.0.0.1:2', learner: true })
      .expect(409);
    expect(again.body).toMatchObject({
      reason: 'invalid',
      message: `${learner} is already a learner`,
    });
    await request(node.http)
      .post('/cluster/members')
      .set(auth)
      .send({ node: learner, api_url: 'http://127.0.0.1:2', extra: 1 })
      .expect(400);
    const removed = await request(node.http)
      .delete(`/cluster/members/${encodeURIComponent(learner)}`)
      .set(auth)
      .expect(200);
    expect(removed.body.members.map((m: { node: string }) => m.node)).toEqual([NODE]);
    const self = await request(node.http)
      .delete(`/cluster/members/${encodeURIComponent(NODE)}`)
      .set(auth)
      .expect(409);
    expect(self.body).toMatchObject({ reason: 'unsafe', message: /no voter can take over/ });
  });
});
