import { now } from './clock';
import {
  type FollowerServed,
  LEADER_ROUTES,
  type OnlineList,
  type Recorder,
  type Source,
} from './recorder';

/**
 * A fetch that records every leader-served 200 it sees: the node (by its base URL), the term
 * from Rollcall-Term, and when the request left and its answer arrived. The SDK takes it as its
 * `fetch`, so the workload's calls are recorded whichever node the SDK finds leading.
 */
export function recordingFetch(
  recorder: Recorder,
  nodeOf: (base: string) => number,
  source: Source,
): typeof fetch {
  return async (input, init) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
    );
    const send = now();
    const res = await fetch(input, init);
    const recv = now();
    if (res.status === 200 && (LEADER_ROUTES as readonly string[]).includes(url.pathname)) {
      const body = await res.clone().text();
      recordAnswer(recorder, res.headers, {
        node: nodeOf(url.origin),
        route: url.pathname,
        header: res.headers.get('rollcall-term'),
        send,
        recv,
        source,
        requestBody: typeof init?.body === 'string' ? init.body : null,
        responseBody: body,
      });
    }
    return res;
  };
}

/**
 * Files a 200 from a client route: a follower's (it says so in its headers) as such, anything
 * else as a leader's answer.
 */
export function recordAnswer(recorder: Recorder, headers: Headers, a: RawAnswer): void {
  const follower = followerAnswer(headers);
  if (follower) recordFollowerAnswer(recorder, follower, a);
  else recordLeaderAnswer(recorder, a);
}

/** A follower-served 200 (follower_heartbeats, follower_reads) says so in its headers. */
function followerAnswer(headers: Headers): { lagMs: number | null } | null {
  const lag = headers.get('rollcall-lag-ms');
  if (lag !== null) return { lagMs: Number(lag) };
  return headers.get('rollcall-via') !== null ? { lagMs: null } : null;
}

/**
 * A follower's 200 is no claim to lead: a heartbeat it took counts as acknowledged (the leader
 * held it first), a read goes to the follower-read checks.
 */
function recordFollowerAnswer(
  recorder: Recorder,
  follower: { lagMs: number | null },
  a: RawAnswer,
): void {
  const { route } = a;
  const term = Number(a.header);
  if (route === '/heartbeat' && a.requestBody !== null) {
    const beat = heartbeatOf(a.requestBody);
    if (beat === null) return;
    const ack = {
      node: a.node,
      term,
      route,
      send: a.send,
      recv: a.recv,
      source: 'workload' as const,
    };
    recorder.heartbeatAcks.push({ ...ack, ...beat, viaFollower: true });
    return;
  }
  if (follower.lagMs === null) return;
  const served: FollowerServed = {
    node: a.node,
    lagMs: follower.lagMs,
    send: a.send,
    recv: a.recv,
  };
  if (route === '/discover') {
    recorder.followerReads.push({ ...served, online: onlineListOf(a.responseBody) });
  } else if (route === '/users') {
    const body = JSON.parse(a.responseBody) as { users: { username: string }[] };
    recorder.followerUsersReads.push({
      ...served,
      users: new Set(body.users.map((u) => u.username)),
    });
  }
}

export interface RawAnswer {
  node: number;
  route: string;
  header: string | null;
  send: number;
  recv: number;
  source: Source;
  requestBody: string | null;
  responseBody: string;
}

/** Files one leader-served 200 under every list it belongs to. */
export function recordLeaderAnswer(recorder: Recorder, a: RawAnswer): void {
  const term = a.header === null ? NaN : Number(a.header);
  if (!Number.isSafeInteger(term)) {
    recorder.anomalies.push(
      `200 on ${a.route} from node ${a.node} at ${recorder.sinceStart(a.recv)} without a valid Rollcall-Term (${String(a.header)})`,
    );
    return;
  }
  const answer = {
    node: a.node,
    term,
    route: a.route,
    send: a.send,
    recv: a.recv,
    source: a.source,
  };
  recorder.leaderAnswers.push(answer);
  recorder.claims.push({ term, node: a.node, how: 'answer', at: a.recv });
  if (a.route === '/heartbeat' && a.requestBody !== null) {
    const beat = heartbeatOf(a.requestBody);
    if (beat !== null) recorder.heartbeatAcks.push({ ...answer, ...beat });
  } else if (a.route === '/discover') {
    recorder.discovers.push({ ...answer, online: onlineListOf(a.responseBody) });
  }
}

/** The client a heartbeat's request named, and the address it gave if any (null: no name). */
function heartbeatOf(requestBody: string): { username: string; addr?: string } | null {
  const { username, addr } = JSON.parse(requestBody) as { username?: unknown; addr?: unknown };
  if (typeof username !== 'string') return null;
  return typeof addr === 'string' ? { username, addr } : { username };
}

/** The clients a /discover answer listed, each with the address it gave. */
function onlineListOf(responseBody: string): OnlineList {
  const body = JSON.parse(responseBody) as { online_clients: { username: string; addr: string }[] };
  return new Map(body.online_clients.map((c) => [c.username, c.addr]));
}
