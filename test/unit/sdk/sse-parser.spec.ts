import { SseParser } from '../../../src/sdk';

describe('SseParser', () => {
  it('parses events, ids and multi-line data, skipping comments, across any chunking', () => {
    const wire =
      '\n: keep-alive\n\nevent: snapshot\nid: 1-0\ndata: {"a":\ndata: 1}\n\r\nevent: online\r\nid: 1-1\r\ndata: x\r\n\r\n';
    const whole = new SseParser().push(wire);
    expect(whole).toEqual([
      { event: 'snapshot', id: '1-0', data: '{"a":\n1}' },
      { event: 'online', id: '1-1', data: 'x' },
    ]);
    // Every split point, a \r\n torn in two included, gives the same messages.
    for (let i = 1; i < wire.length; i++) {
      const p = new SseParser();
      expect([...p.push(wire.slice(0, i)), ...p.push(wire.slice(i))]).toEqual(whole);
      expect(p.lastEventId).toBe('1-1');
    }
  });

  it('ignores a message without data, and an unfinished one', () => {
    const p = new SseParser();
    expect(p.push('id: 7\n\nevent: online\ndata: y')).toEqual([]);
    expect(p.lastEventId).toBe('7');
  });
});
