import {
  encodeFrame,
  encodeJsonFrame,
  encodeJsonTextFrame,
  FrameDecoder,
  FrameError,
  MAX_FRAME_BYTES,
} from '../../../src/election/transport/frame-codec';

describe('frame codec', () => {
  it('round-trips messages, whole or split at every byte', () => {
    const messages = [{ type: 'Heartbeat', term: 3 }, { a: 'ü'.repeat(100) }, [1, 2, 3]];
    const bytes = Buffer.concat(messages.map(encodeFrame));
    expect(new FrameDecoder().push(bytes)).toEqual(messages);
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new FrameDecoder();
      expect([...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]).toEqual(messages);
    }
    const d = new FrameDecoder();
    const out: unknown[] = [];
    for (const b of bytes) out.push(...d.push(Buffer.from([b])));
    expect(out).toEqual(messages);
  });

  it('frames JSON text byte for byte as it frames its bytes, multi-byte characters too', () => {
    for (const message of [{ type: 'PresenceForwardAck', batches: [7] }, { name: 'zoë ✓ 🚀' }]) {
      const text = JSON.stringify(message);
      expect(encodeJsonTextFrame(text)).toEqual(encodeJsonFrame(Buffer.from(text)));
      expect(new FrameDecoder().push(encodeJsonTextFrame(text))).toEqual([message]);
    }
  });

  it('refuses a frame over 1 MiB from its length alone, before buffering it', () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    head[4] = 1;
    expect(() => new FrameDecoder().push(head)).toThrow(/over the 1 MiB limit/);
    head.writeUInt32BE(0xffffffff, 0);
    expect(() => new FrameDecoder().push(head.subarray(0, 4))).toThrow(FrameError);
  });

  it('refuses an unknown protocol version', () => {
    const f = encodeFrame({ x: 1 });
    f[4] = 9;
    expect(() => new FrameDecoder().push(f)).toThrow('unknown protocol version 9');
  });

  it('refuses a body that is not JSON, and an empty frame', () => {
    const garbage = Buffer.from([0, 0, 0, 4, 1, 0x7b, 0x7b, 0x7b]);
    expect(() => new FrameDecoder().push(garbage)).toThrow('frame body is not JSON');
    expect(() => new FrameDecoder().push(Buffer.alloc(8))).toThrow('empty frame');
  });

  it('refuses plain-text garbage such as an HTTP request', () => {
    expect(() => new FrameDecoder().push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toThrow(
      FrameError,
    );
  });
});
