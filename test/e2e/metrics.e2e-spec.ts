import { type InProcessNode, startInProcessNode } from '../support/in-process-node';
import request from 'supertest';
import type { App } from 'supertest/types';
import { FakeClock } from '../support/fake-clock';
import { waitFor } from '../support/poll';
import { declaredMetrics, parseMetrics } from '../support/prometheus';

const ALL_METRICS = [
  'rollcall_term',
  'rollcall_is_leader',
  'rollcall_leader_changes_total',
  'rollcall_heartbeats_total',
  'rollcall_registrations_total',
  'rollcall_online_clients',
  'rollcall_registered_users',
  'rollcall_expirations_total',
  'rollcall_http_request_duration_seconds',
  'rollcall_drive_pending_writes',
  'rollcall_drive_errors_total',
  'rollcall_peer_rtt_seconds',
];

describe('GET /metrics on a single-node cluster', () => {
  let node: InProcessNode;
  let http: App;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    node = await startInProcessNode({ clock });
    http = node.http;
  });

  afterEach(() => node.close());

  const scrape = async () => {
    const res = await request(http).get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return { text: res.text, values: parseMetrics(res.text) };
  };
  const durations = (route: string, status: number) =>
    `rollcall_http_request_duration_seconds_count{route="${route}",status="${status}"}`;

  it('declares every rollcall_ metric', async () => {
    const { text } = await scrape();
    expect(declaredMetrics(text).sort()).toEqual([...ALL_METRICS].sort());
  });

  it('moves with the work: leadership, registrations, heartbeats, expirations, request durations', async () => {
    const before = (await scrape()).values;
    expect(before.get('rollcall_is_leader')).toBe(1);
    expect(before.get('rollcall_term')).toBe(1);
    expect(before.get('rollcall_leader_changes_total{reason="won election"}')).toBe(1);
    expect(before.get('rollcall_heartbeats_total{via="leader"}')).toBe(0);
    expect(before.get('rollcall_heartbeats_total{via="follower"}')).toBe(0);
    expect(before.get('rollcall_drive_pending_writes')).toBe(0);
    expect(before.get('rollcall_drive_errors_total')).toBe(0);

    await request(http)
      .post('/register')
      .send({ username: 'alice', addr: '10.0.0.1:9' })
      .expect(200);
    await request(http)
      .post('/register')
      .send({ username: 'alice', addr: '10.0.0.1:9' })
      .expect(409);
    await request(http).post('/heartbeat').send({ username: 'alice' }).expect(200);
    await request(http).post('/heartbeat').send({ username: 'alice' }).expect(200);
    await request(http).post('/heartbeat').send({ username: 'nobody' }).expect(404);
    await request(http).get('/no-such-route').expect(404);

    const after = (await scrape()).values;
    expect(after.get('rollcall_registrations_total')).toBe(1);
    expect(after.get('rollcall_registered_users')).toBe(1);
    expect(after.get('rollcall_heartbeats_total{via="leader"}')).toBe(2);
    expect(after.get('rollcall_heartbeats_total{via="follower"}')).toBe(0);
    expect(after.get('rollcall_online_clients')).toBe(1);
    expect(after.get(durations('/register', 200))).toBe(1);
    expect(after.get(durations('/register', 409))).toBe(1);
    expect(after.get(durations('/heartbeat', 200))).toBe(2);
    expect(after.get(durations('/heartbeat', 404))).toBe(1);
    // Unknown paths share one label, so they cannot grow the label set.
    expect(after.get(durations('(unmatched)', 404))).toBe(1);
    expect(after.get(durations('/metrics', 200))).toBe(1);

    clock.advance(30_000);
    const expired = await waitFor('the expiry pass', async () => {
      const v = (await scrape()).values;
      return v.get('rollcall_expirations_total') === 1 ? v : undefined;
    });
    expect(expired.get('rollcall_online_clients')).toBe(0);
    expect(expired.get('rollcall_registered_users')).toBe(1);
  });
});
