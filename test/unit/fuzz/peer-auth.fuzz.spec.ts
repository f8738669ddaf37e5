import fc from 'fast-check';
import { ClusterSecret } from '../../../src/common/cluster-secret';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  PROTOCOL_VERSION,
  type RawFrame,
  SEALED_VERSION,
} from '../../../src/election/transport/frame-codec';
import { AcceptorHandshake } from '../../../src/election/transport/peer-auth';
import { FUZZ_PARAMS } from '../../support/fuzz-runs';
import { ACCEPTOR as B, DIALER as A, handshake, oneFrame as one } from '../../support/peer-session';

const SECRET = new ClusterSecret('the secret of the fuzzed cluster');
const VERSIONS = [PROTOCOL_VERSION, SEALED_VERSION];

/** A genuine session from A to B: the sealer A writes with, the opener B reads with. */
function session() {
  const s = handshake(SECRET, SECRET);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

const anyVersion = fc.constantFrom(PROTOCOL_VERSION, SEALED_VERSION);
const hex64 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('hex'));
const nonce = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('base64'));

describe('peer authentication under fuzzing', () => {
  it('no hello without the secret passes, whatever its bytes or fields', () => {
    const hello = fc.oneof(
      // Random bytes of either version.
      fc.record({
        version: anyVersion,
        body: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      }),
      // Well-formed hellos with guessed proofs, from peers and strangers.
      fc
        .record({
          type: fc.constantFrom('AuthHello', 'AuthWelcome', 'Heartbeat'),
          from: fc.constantFrom(A, B, '127.0.0.1:9'),
          to: fc.constantFrom(A, B),
          nonce: fc.oneof(nonce, fc.string()),
          proof: fc.oneof(hex64, fc.string()),
        })
        .map((m) => one(encodeFrame(m))),
    );
    fc.assert(
      fc.property(hello, (frame) => {
        const acceptor = new AcceptorHandshake(SECRET, B, (id) => id === A || id === B);
        acceptor.challenge();
        return typeof acceptor.hello(frame) === 'string' && acceptor.peer === null;
      }),
      FUZZ_PARAMS,
    );
  });

  it('a flipped bit anywhere in a session stream never yields an altered message', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (messages, where, bit) => {
          const { sealer, opener } = session();
          const bodies = messages.map((m) => Buffer.from(JSON.stringify(m ?? null)));
          const wire = Buffer.concat(bodies.map((b) => sealer.seal(b)));
          const at = where % wire.length;
          wire[at] ^= 1 << bit;
          let frames: RawFrame[];
          try {
            frames = new FrameDecoder(VERSIONS).pushRaw(wire);
          } catch (err) {
            return err instanceof FrameError; // the framing itself broke: connection closed
          }
          // Every frame opened must be exactly what was sent, in order, and the damaged one must
          // be refused (or never arrive whole, if the flip hit a length).
          for (const [i, frame] of frames.entries()) {
            const opened = opener.open(frame);
            if (typeof opened === 'string') return true;
            if (!opened.equals(bodies[i])) return false;
          }
          return frames.length < bodies.length;
        },
      ),
      FUZZ_PARAMS,
    );
  });

  it('random sealed frames are refused by a live session', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        (body) => {
          const { opener } = session();
          return typeof opener.open({ version: SEALED_VERSION, body }) === 'string';
        },
      ),
      FUZZ_PARAMS,
    );
  });
});
