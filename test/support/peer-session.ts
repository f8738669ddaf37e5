import type { ClusterSecret } from '../../src/common/cluster-secret';
import {
  FrameDecoder,
  PROTOCOL_VERSION,
  type RawFrame,
  SEALED_VERSION,
} from '../../src/election/transport/frame-codec';
import {
  AcceptorHandshake,
  DialerHandshake,
  type FrameOpener,
  type FrameSealer,
} from '../../src/election/transport/peer-auth';

export const DIALER = '127.0.0.1:7001';
export const ACCEPTOR = '127.0.0.1:7002';

/** The one frame in `bytes`, as the election port would decode it with a secret. */
export function oneFrame(bytes: Buffer): RawFrame {
  const frames = new FrameDecoder([PROTOCOL_VERSION, SEALED_VERSION]).pushRaw(bytes);
  if (frames.length !== 1) throw new Error(`expected one frame, got ${frames.length}`);
  return frames[0];
}

/**
 * Runs the handshake from DIALER to ACCEPTOR in memory: the session's two halves, or why it
 * failed.
 */
export function handshake(
  dialerSecret: ClusterSecret,
  acceptorSecret: ClusterSecret,
  acceptor = new AcceptorHandshake(
    acceptorSecret,
    ACCEPTOR,
    (id) => id === DIALER || id === ACCEPTOR,
  ),
): { sealer: FrameSealer; opener: FrameOpener } | string {
  const dialer = new DialerHandshake(dialerSecret, DIALER, ACCEPTOR);
  const hello = dialer.receive(oneFrame(acceptor.challenge()));
  if (typeof hello === 'string') return hello;
  if (!('send' in hello)) throw new Error('a challenge must be answered with a hello');
  const accepted = acceptor.hello(oneFrame(hello.send));
  if (typeof accepted === 'string') return accepted;
  const done = dialer.receive(oneFrame(accepted.welcome));
  if (typeof done === 'string') return done;
  if (!('sealer' in done)) throw new Error('a welcome must finish the handshake');
  return { sealer: done.sealer, opener: accepted.opener };
}
