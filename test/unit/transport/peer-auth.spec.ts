import { inspect } from 'node:util';
import { ClusterSecret } from '../../../src/common/cluster-secret';
import {
  encodeFrame,
  PROTOCOL_VERSION,
  type RawFrame,
  SEALED_VERSION,
} from '../../../src/election/transport/frame-codec';
import { AcceptorHandshake, DialerHandshake } from '../../../src/election/transport/peer-auth';
import { ACCEPTOR as B, DIALER as A, handshake, oneFrame as raw } from '../../support/peer-session';

const RIGHT = new ClusterSecret('correct horse battery staple');
const WRONG = new ClusterSecret('incorrect horse battery staple');

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('peer authentication', () => {
  it('opens a session between holders of the secret and carries frames in order', () => {
    const s = handshake(RIGHT, RIGHT);
    if (typeof s === 'string') throw new Error(s);
    for (let i = 0; i < 50; i++) {
      const opened = s.opener.open(raw(s.sealer.seal(json({ n: i }))));
      expect(opened).toEqual(json({ n: i }));
    }
  });

  it('refuses a hello made with another secret, and the dialer refuses a welcome made with one', () => {
    expect(handshake(WRONG, RIGHT)).toMatch(/AuthHello from 127.0.0.1:7001 has a wrong proof/);
    // The acceptor is the impostor here: it cannot check the hello, and if it answers anyway
    // with a welcome made from its own secret, that welcome gives it away.
    const dialer = new DialerHandshake(RIGHT, A, B);
    const challenge = raw(new AcceptorHandshake(WRONG, B, () => true).challenge());
    const hello = dialer.receive(challenge);
    if (typeof hello === 'string' || !('send' in hello)) throw new Error('expected a hello');
    const nonceOf = (f: RawFrame) =>
      Buffer.from((JSON.parse(f.body.toString()) as { nonce: string }).nonce, 'base64');
    const proof = WRONG.derive('welcome', nonceOf(challenge), nonceOf(raw(hello.send)), A, B);
    const welcome = encodeFrame({ type: 'AuthWelcome', proof: proof.toString('hex') });
    expect(dialer.receive(raw(welcome))).toMatch(/AuthWelcome from 127.0.0.1:7002 .* wrong proof/);
  });

  it('connects every pair of the three-step CLUSTER_SECRET rotation, and no other', () => {
    const [OLD, NEW] = ['the secret before the rotation', 'the secret after the rotation'];
    const secrets = (...s: string[]) => new ClusterSecret(s);
    // Step 1: "old, new" (accept new, still sign old); step 2: "new, old"; step 3: "new".
    const steps = [secrets(OLD), secrets(OLD, NEW), secrets(NEW, OLD), secrets(NEW)];
    const opens = (dialer: ClusterSecret, acceptor: ClusterSecret) => {
      const s = handshake(dialer, acceptor);
      if (typeof s === 'string') return false;
      return s.opener.open(raw(s.sealer.seal(json({ ok: 1 })))) instanceof Buffer;
    };
    // Nodes one step apart, either way round, always connect: a rotation never cuts the cluster.
    for (let i = 0; i + 1 < steps.length; i++) {
      expect([i, opens(steps[i], steps[i + 1]), opens(steps[i + 1], steps[i])]).toEqual([
        i,
        true,
        true,
      ]);
    }
    // Skipping a step does cut it: only the old secret against only the new one.
    expect(opens(steps[0], steps[3])).toBe(false);
    expect(opens(steps[3], steps[0])).toBe(false);
  });

  it('rotate() swaps the secrets in place; unfit ones are refused and the old ones stay', () => {
    const secret = new ClusterSecret('the secret before the rotation');
    const before = handshake(secret, secret);
    expect(typeof before).toBe('object');
    expect(() => secret.rotate(['short'])).toThrow(/at least 16/);
    expect(() => secret.rotate(['a'.repeat(16), 'b'.repeat(16), 'c'.repeat(16)])).toThrow(
      /at most 2/,
    );
    expect(handshake(secret, new ClusterSecret('the secret before the rotation'))).not.toEqual(
      expect.any(String),
    );
    secret.rotate(['the secret after the rotation']);
    expect(handshake(secret, new ClusterSecret('the secret before the rotation'))).toMatch(
      /wrong proof/,
    );
  });

  it('refuses a recorded hello on a new connection: the challenge differs', () => {
    const first = new AcceptorHandshake(RIGHT, B, () => true);
    const dialer = new DialerHandshake(RIGHT, A, B);
    const hello = dialer.receive(raw(first.challenge()));
    if (typeof hello === 'string' || !('send' in hello)) throw new Error('expected a hello');
    expect(typeof first.hello(raw(hello.send))).toBe('object');
    const second = new AcceptorHandshake(RIGHT, B, () => true);
    second.challenge();
    expect(second.hello(raw(hello.send))).toMatch(/wrong proof/);
  });

  it('refuses a hello from a non-peer, or addressed to another node, even with the secret', () => {
    const strangerGate = new AcceptorHandshake(RIGHT, B, (id) => id === B);
    expect(handshake(RIGHT, RIGHT, strangerGate)).toMatch(
      /AuthHello from 127.0.0.1:7001, not a peer/,
    );
    const elsewhere = new AcceptorHandshake(RIGHT, '127.0.0.1:7003', () => true);
    expect(handshake(RIGHT, RIGHT, elsewhere)).toMatch(
      /addressed to 127.0.0.1:7002, not to this node/,
    );
  });

  it('refuses altered, forged, replayed, reordered and dropped frames', () => {
    const open = () => {
      const s = handshake(RIGHT, RIGHT);
      if (typeof s === 'string') throw new Error(s);
      return s;
    };
    const REFUSED = /failed authentication/;

    let s = open();
    const altered = raw(s.sealer.seal(json({ term: 1 })));
    altered.body[altered.body.length - 2] ^= 1;
    expect(s.opener.open(altered)).toMatch(REFUSED);

    s = open();
    const replayed = raw(s.sealer.seal(json({ term: 1 })));
    expect(s.opener.open(replayed)).toEqual(json({ term: 1 }));
    expect(s.opener.open(replayed)).toMatch(REFUSED);

    s = open();
    const first = raw(s.sealer.seal(json({ n: 1 })));
    const second = raw(s.sealer.seal(json({ n: 2 })));
    expect(s.opener.open(second)).toMatch(REFUSED);
    expect(s.opener.open(first)).toEqual(json({ n: 1 }));

    s = open();
    s.sealer.seal(json({ dropped: true }));
    expect(s.opener.open(raw(s.sealer.seal(json({ n: 2 }))))).toMatch(REFUSED);

    // A frame sealed in one session means nothing in another, even between the same nodes.
    const one = open();
    const other = open();
    expect(other.opener.open(raw(one.sealer.seal(json({ n: 0 }))))).toMatch(REFUSED);

    s = open();
    expect(s.opener.open(raw(encodeFrame({ type: 'Heartbeat' })))).toMatch(/unsealed frame/);
    expect(s.opener.open({ version: SEALED_VERSION, body: Buffer.alloc(10) })).toMatch(/too short/);
  });

  it('refuses anything but a hello before the handshake', () => {
    const acceptor = new AcceptorHandshake(RIGHT, B, () => true);
    acceptor.challenge();
    expect(acceptor.hello(raw(encodeFrame({ type: 'RequestVote', from: A, to: B })))).toMatch(
      /unauthenticated frame where AuthHello was expected/,
    );
    expect(acceptor.hello({ version: SEALED_VERSION, body: Buffer.alloc(40) })).toMatch(
      /expected AuthHello before any sealed frame/,
    );
    expect(acceptor.hello({ version: PROTOCOL_VERSION, body: Buffer.from('{') })).toMatch(
      /not JSON/,
    );
    expect(acceptor.hello(raw(encodeFrame({ type: 'AuthHello', from: A, to: B })))).toBe(
      'malformed AuthHello',
    );
  });

  it('never shows the secret, however the config is printed', () => {
    const secret = new ClusterSecret('a-very-secret-value-1234');
    for (const shown of [
      String(secret),
      JSON.stringify({ secret }),
      inspect(secret, { showHidden: true }),
    ]) {
      expect(shown).not.toContain('a-very-secret-value-1234');
    }
    expect(() => new ClusterSecret('short')).toThrow(/at least 16 characters/);
  });
});
