import type { ClusterConfig } from '../../../src/config/cluster-config';
import type { ElectionTransport } from '../../../src/election/election-io';
import { PeerChannel } from '../../../src/election/peer-channel';
import { joinJsonObjects } from '../../../src/election/transport/envelope';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const C = '127.0.0.1:7003';

/** Keeps the JSON each send hands the transport, as it would go on the wire. */
class JsonRecorder implements ElectionTransport {
  readonly sent: { to: string; json: string }[] = [];
  start(): Promise<void> {
    return Promise.resolve();
  }
  send(message: { to: string }): boolean {
    return this.sendJson(message.to, JSON.stringify(message));
  }
  sendJson(to: string, json: string): boolean {
    this.sent.push({ to, json });
    return true;
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function channelOn(self: string) {
  const transport = new JsonRecorder();
  const config = { thisNode: self, peers: [A, B, C] } as ClusterConfig;
  return { transport, channel: new PeerChannel(transport, config) };
}

/** The JSON the channel sent a message as before it built messages as text. */
const asObjectSpread = (body: object, type: string, from: string, to: string, term: number) =>
  JSON.stringify({ ...body, type, from, to, term, cpu: 0 });

describe('PeerChannel', () => {
  it('puts the JSON of the body followed by the envelope on the wire, as one object', () => {
    const { transport, channel } = channelOn(A);
    const body = { batches: [3, 4], held: true, note: 'a "quoted" word' };
    channel.send(B, 'PresenceForwardAck', 7, body);
    expect(transport.sent).toEqual([
      { to: B, json: asObjectSpread(body, 'PresenceForwardAck', A, B, 7) },
    ]);
  });

  it('lets the envelope’s fields win over a body’s, which the compiler refuses anyway', () => {
    const { transport, channel } = channelOn(A);
    // `npm run lint` type-checks the tests: a body naming an envelope field does not compile.
    // @ts-expect-error: the envelope names the term
    channel.send(B, 'PresenceAck', 1, { seq: 1, term: 9 });
    expect(JSON.parse(transport.sent[0].json)).toEqual({
      seq: 1,
      type: 'PresenceAck',
      from: A,
      to: B,
      term: 1,
      cpu: 0,
    });
  });

  it('names the term of each send, also when the term changes between two', () => {
    const { transport, channel } = channelOn(A);
    channel.send(B, 'PresenceAck', 7, { seq: 1, full: false });
    channel.send(B, 'PresenceAck', 8, { seq: 2, full: false });
    channel.send(B, 'PresenceSyncRequest', 8, {});
    const sent = transport.sent.map((s) => JSON.parse(s.json) as Record<string, unknown>);
    expect(sent.map((m) => [m.type, m.term, m.seq])).toEqual([
      ['PresenceAck', 7, 1],
      ['PresenceAck', 8, 2],
      ['PresenceSyncRequest', 8, undefined],
    ]);
    expect(sent[2]).toEqual({ type: 'PresenceSyncRequest', from: A, to: B, term: 8, cpu: 0 });
  });

  it('sends one body to each peer with the fields given for that peer after its own', () => {
    const { transport, channel } = channelOn(A);
    const body: { seq: number; online: string[][]; held?: number[] } = {
      seq: 4,
      online: [['x', '10.0.0.1:1']],
    };
    channel.sendEach([B, C], 'PresenceDelta', 2, body, (peer) =>
      peer === C ? { held: [5] } : null,
    );
    expect(transport.sent).toEqual([
      { to: B, json: asObjectSpread(body, 'PresenceDelta', A, B, 2) },
      { to: C, json: asObjectSpread({ ...body, held: [5] }, 'PresenceDelta', A, C, 2) },
    ]);
  });
});

describe('joinJsonObjects', () => {
  it('gives the JSON of both objects in one, the first one’s fields first', () => {
    const first = { a: 1, b: [2, 'x'] };
    const second = { c: 'y', d: null };
    expect(joinJsonObjects(JSON.stringify(first), JSON.stringify(second))).toBe(
      JSON.stringify({ ...first, ...second }),
    );
  });

  it('gives the other object when one of them is empty', () => {
    expect(joinJsonObjects('{}', '{"c":1}')).toBe('{"c":1}');
    expect(joinJsonObjects('{"c":1}', '{}')).toBe('{"c":1}');
  });
});
