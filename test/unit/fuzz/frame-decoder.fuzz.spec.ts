import fc from 'fast-check';
import { checkEnvelope } from '../../../src/election/transport/envelope';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
} from '../../../src/election/transport/frame-codec';
import { FRAGMENT, FragmentError, Reassembler } from '../../../src/election/transport/fragments';
import { toMessage } from '../../../src/election/wire-message';
import { FUZZ_PARAMS } from '../../support/fuzz-runs';
import { A, B, C, coreOptions, makeCore } from '../election/sim/core-fixture';

/** Cuts `bytes` at the given points, as TCP may deliver them. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Feeds chunks; returns the frames decoded, or the FrameError that closed the connection. */
function decodeAll(chunks: Buffer[]): { frames: unknown[]; error: Error | null } {
  const decoder = new FrameDecoder();
  const frames: unknown[] = [];
  try {
    for (const c of chunks) frames.push(...decoder.push(c));
    return { frames, error: null };
  } catch (err) {
    return { frames, error: err as Error };
  }
}

const header = (length: number, version = PROTOCOL_VERSION) => {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(length >>> 0, 0);
  h.writeUInt8(version, 4);
  return h;
};

describe('election port input, fuzzed', () => {
  it('random bytes in random chunks: frames or a FrameError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (bytes, cuts) => {
          const { error } = decodeAll(chunked(Buffer.from(bytes), cuts));
          return error === null || error instanceof FrameError;
        },
      ),
      FUZZ_PARAMS,
    );
  });

  it('whole frames come out the same however TCP splits them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (values, cuts) => {
          // JSON turns -0 into 0; compare with what a peer would actually have sent.
          const sent = values.map((v) => JSON.parse(JSON.stringify(v)) as unknown);
          const stream = Buffer.concat(sent.map((v) => encodeFrame(v)));
          const { frames, error } = decodeAll(chunked(stream, cuts));
          expect(error).toBeNull();
          expect(frames).toEqual(sent);
        },
      ),
      FUZZ_PARAMS,
    );
  });

  it('lying length prefixes, unknown versions and truncated frames are refused or awaited', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0xffffffff }),
          fc.integer({ min: 0, max: 64 }),
        ),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 64 }),
        (length, version, body) => {
          const { frames, error } = decodeAll([header(length, version), Buffer.from(body)]);
          if (length > MAX_FRAME_BYTES) return error instanceof FrameError;
          if (length === 0 || version !== PROTOCOL_VERSION) return error instanceof FrameError;
          // A frame longer than what came is awaited: no frame yet, no error.
          if (body.length < length - 1) return error === null && frames.length === 0;
          return error === null || error instanceof FrameError;
        },
      ),
      FUZZ_PARAMS,
    );
  });

  it('any decoded JSON goes through the message checks and the core without a throw', () => {
    const now = 1_000_000;
    const core = makeCore();
    const reassembler = new Reassembler();
    const field = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.constantFrom(
          'PreVote',
          'PreVoteResponse',
          'RequestVote',
          'RequestVoteResponse',
          'Heartbeat',
          'HeartbeatResponse',
          'InstallSnapshot',
          'TimeoutNow',
          FRAGMENT,
          'Ping',
          '__proto__',
          'toString',
        ),
      },
      { weight: 1, arbitrary: fc.string() },
    );
    const envelope = fc.record(
      {
        type: field,
        from: fc.constantFrom(B, C, B, C, 'stranger'),
        to: fc.oneof(
          { weight: 8, arbitrary: fc.constant(A) },
          { weight: 1, arbitrary: fc.constant('elsewhere') },
        ),
        term: fc.oneof({ weight: 8, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.double() }),
        cpu: fc.oneof(
          { weight: 8, arbitrary: fc.integer({ min: 0, max: 100 }) },
          { weight: 1, arbitrary: fc.double() },
        ),
        api: fc.oneof(fc.constant('http://127.0.0.1:3000'), fc.string()),
      },
      { requiredKeys: ['type', 'from', 'to', 'term', 'cpu', 'api'] },
    );
    // Mostly plausible values under the real field names, so that many cases reach the core.
    const small = fc.oneof(
      { weight: 6, arbitrary: fc.nat(6) },
      { weight: 1, arbitrary: fc.double() },
      { weight: 1, arbitrary: fc.constantFrom(null, true, false, '1', -1, 2 ** 60) },
    );
    const entry = fc.record({
      index: fc.nat(8),
      term: fc.nat(5),
      data: fc.jsonValue({ maxDepth: 1 }),
    });
    const fields = fc.record(
      {
        lastLogIndex: small,
        lastLogTerm: small,
        granted: fc.boolean(),
        transfer: fc.boolean(),
        leaseRevokedAt: fc.oneof(fc.constant(null), small),
        leaseWaitMs: small,
        sentAt: small,
        loads: fc.dictionary(
          fc.constantFrom(A, B, C, 'x'),
          fc.oneof(fc.integer({ min: 0, max: 100 }), small),
        ),
        backgrounds: fc.dictionary(
          fc.constantFrom(A, B, C, 'x'),
          fc.oneof(fc.integer({ min: 0, max: 100 }), small),
        ),
        background: fc.oneof(fc.integer({ min: 0, max: 100 }), small),
        countsForLease: fc.boolean(),
        prevLogIndex: small,
        prevLogTerm: small,
        leaderCommit: small,
        entries: fc.array(entry, { maxLength: 4 }),
        success: fc.boolean(),
        matchIndex: small,
        snapshotIndex: small,
        snapshotTerm: small,
        data: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    );
    // A fragment's own fields on every case, mostly plausible, so that runs start, go on, break
    // and finish in the reassembler (other message types ignore them).
    const plausible = (max: number) =>
      fc.oneof({ weight: 6, arbitrary: fc.nat(max) }, { weight: 1, arbitrary: small });
    const fragmentFields = fc.record({
      id: plausible(2),
      part: plausible(3),
      parts: plausible(4),
      chunk: fc.oneof(
        { weight: 6, arbitrary: fc.base64String({ maxLength: 24 }) },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      ),
    });
    let stepped = 0;
    let fragmentsTaken = 0;
    fc.assert(
      fc.property(
        envelope,
        fields,
        fragmentFields,
        fc.dictionary(fc.string({ maxLength: 16 }), fc.jsonValue({ maxDepth: 2 }), {
          maxKeys: 4,
        }),
        (head, known, fragment, extra) => {
          const raw = { ...extra, ...fragment, ...known, ...head } as unknown;
          const e = checkEnvelope(raw);
          if (typeof e === 'string') return;
          if (e.type === FRAGMENT) {
            try {
              reassembler.push(e);
              fragmentsTaken++;
            } catch (err) {
              // A refusal of the sender's fragments, with its reason; a TypeError is a bug.
              expect(err).toBeInstanceOf(FragmentError);
            }
            return;
          }
          const m = toMessage(e);
          if (typeof m === 'string') return;
          // The transport drops strangers and misdirected frames before the core sees them.
          if (!coreOptions().peers.includes(m.from) || m.to !== A) return;
          core.step(m, now);
          core.ready();
          stepped++;
        },
      ),
      FUZZ_PARAMS,
    );
    // The property is only worth something if the core saw a good share of the cases.
    expect(stepped).toBeGreaterThan(FUZZ_PARAMS.numRuns / 20);
    expect(fragmentsTaken).toBeGreaterThan(0);
  });
});
