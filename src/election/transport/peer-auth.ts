import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Candidate, ClusterSecret } from '../../common/cluster-secret';
import {
  encodeFrame,
  encodeRawFrame,
  FrameError,
  parseFrameJson,
  PROTOCOL_VERSION,
  type RawFrame,
  SEALED_VERSION,
} from './frame-codec';

/**
 * Peer authentication with a shared secret (CLUSTER_SECRET).
 *
 * A connection starts with a challenge-response in both directions:
 *   acceptor -> dialer  AuthChallenge {nonce: Na}
 *   dialer -> acceptor  AuthHello     {from, to, nonce: Nd, proof: HMAC(secret, hello|Na|Nd|from|to)}
 *   acceptor -> dialer  AuthWelcome   {proof: HMAC(secret, welcome|Na|Nd|from|to)}
 * Both nonces are fresh per connection, so a recorded hello or welcome is worth nothing on
 * another one. Every later frame is sealed: version 2, `[32-byte MAC][JSON]`, the MAC being
 * HMAC(sessionKey, seq|JSON) with the session key derived from both nonces and a sequence
 * number counted by both ends and never sent. A forged, altered, replayed, reordered or dropped
 * frame breaks the MAC, and the acceptor closes the connection.
 */
export const AUTH_CHALLENGE = 'AuthChallenge';
export const AUTH_HELLO = 'AuthHello';
export const AUTH_WELCOME = 'AuthWelcome';

const NONCE_BYTES = 32;
const MAC_BYTES = 32;

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The candidate whose proof `proof` is, checking every one so the time says nothing. */
function matching(proof: Buffer, candidates: Candidate[]): Candidate | null {
  let found: Candidate | null = null;
  for (const c of candidates) if (sameBytes(proof, c.proof) && !found) found = c;
  return found;
}

function readNonce(v: unknown): Buffer | null {
  if (typeof v !== 'string' || v.length > 64) return null;
  const b = Buffer.from(v, 'base64');
  return b.length === NONCE_BYTES ? b : null;
}

function readProof(v: unknown): Buffer | null {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) return null;
  return Buffer.from(v, 'hex');
}

function handshakeMessage(frame: RawFrame, type: string): Record<string, unknown> | string {
  if (frame.version !== PROTOCOL_VERSION) return `expected ${type} before any sealed frame`;
  let body: unknown;
  try {
    body = parseFrameJson(frame.body);
  } catch (err) {
    return (err as FrameError).message;
  }
  const m = body as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null || m.type !== type) {
    return `unauthenticated frame where ${type} was expected (is CLUSTER_SECRET set on that node?)`;
  }
  return m;
}

/** Counts frames one way and seals them: the dialer's half of a session. */
export class FrameSealer {
  private seq = 0n;

  constructor(private readonly key: Buffer) {}

  seal(json: Buffer): Buffer {
    const mac = macOf(this.key, this.seq++, json);
    return encodeRawFrame(SEALED_VERSION, [mac, json]);
  }
}

/** Checks sealed frames in order: the acceptor's half of a session. */
export class FrameOpener {
  private seq = 0n;

  constructor(private readonly key: Buffer) {}

  /** The JSON body, or why the frame is refused. */
  open(frame: RawFrame): Buffer | string {
    if (frame.version !== SEALED_VERSION) return 'unsealed frame after the handshake';
    if (frame.body.length < MAC_BYTES) return 'sealed frame too short for its MAC';
    const mac = frame.body.subarray(0, MAC_BYTES);
    const json = frame.body.subarray(MAC_BYTES);
    if (!sameBytes(mac, macOf(this.key, this.seq, json))) {
      return 'frame failed authentication (forged, altered, replayed or out of order)';
    }
    this.seq++;
    return json;
  }
}

function macOf(key: Buffer, seq: bigint, json: Buffer): Buffer {
  const counter = Buffer.allocUnsafe(8);
  counter.writeBigUInt64BE(seq);
  return createHmac('sha256', key).update(counter).update(json).digest();
}

/** The acceptor's side of the handshake. */
export class AcceptorHandshake {
  private readonly na = randomBytes(NONCE_BYTES);
  /** The authenticated peer, once the hello checked out. */
  peer: string | null = null;

  constructor(
    private readonly secret: ClusterSecret,
    private readonly self: string,
    private readonly isPeer: (id: string) => boolean,
  ) {}

  /** The first frame on the connection, sent by the acceptor as soon as it accepts. */
  challenge(): Buffer {
    return encodeFrame({ type: AUTH_CHALLENGE, nonce: this.na.toString('base64') });
  }

  /** Checks the dialer's hello; on success gives the welcome to send and the session opener. */
  hello(frame: RawFrame): { welcome: Buffer; opener: FrameOpener } | string {
    const m = handshakeMessage(frame, AUTH_HELLO);
    if (typeof m === 'string') return m;
    const nd = readNonce(m.nonce);
    const proof = readProof(m.proof);
    const { from, to } = m;
    if (typeof from !== 'string' || typeof to !== 'string' || !nd || !proof) {
      return 'malformed AuthHello';
    }
    if (to !== this.self) return `AuthHello addressed to ${to}, not to this node`;
    if (!this.isPeer(from) || from === this.self) return `AuthHello from ${from}, not a peer`;
    // Any secret in force will do (a rotation); the session goes on under the one it proved.
    const matched = matching(proof, this.secret.candidates('hello', this.na, nd, from, to));
    if (!matched) {
      return `AuthHello from ${from} has a wrong proof (a different CLUSTER_SECRET?)`;
    }
    this.peer = from;
    const welcome = matched.derive('welcome').toString('hex');
    return {
      welcome: encodeFrame({ type: AUTH_WELCOME, proof: welcome }),
      opener: new FrameOpener(matched.derive('session')),
    };
  }
}

/** The dialer's side of the handshake: answers the challenge, then checks the welcome. */
export class DialerHandshake {
  private readonly nd = randomBytes(NONCE_BYTES);
  private na: Buffer | null = null;

  constructor(
    private readonly secret: ClusterSecret,
    private readonly self: string,
    private readonly peer: string,
  ) {}

  /** Feeds a frame from the acceptor: the hello to send, the session's sealer, or why not. */
  receive(frame: RawFrame): { send: Buffer } | { sealer: FrameSealer } | string {
    if (this.na === null) {
      const m = handshakeMessage(frame, AUTH_CHALLENGE);
      if (typeof m === 'string') return m;
      const na = readNonce(m.nonce);
      if (!na) return 'malformed AuthChallenge';
      this.na = na;
      const proof = this.secret.derive('hello', na, this.nd, this.self, this.peer);
      return {
        send: encodeFrame({
          type: AUTH_HELLO,
          from: this.self,
          to: this.peer,
          nonce: this.nd.toString('base64'),
          proof: proof.toString('hex'),
        }),
      };
    }
    const m = handshakeMessage(frame, AUTH_WELCOME);
    if (typeof m === 'string') return m;
    const proof = readProof(m.proof);
    const candidates = this.secret.candidates('welcome', this.na, this.nd, this.self, this.peer);
    const matched = proof ? matching(proof, candidates) : null;
    if (!matched) {
      return `AuthWelcome from ${this.peer} has a wrong proof (a different CLUSTER_SECRET?)`;
    }
    return { sealer: new FrameSealer(matched.derive('session')) };
  }
}
