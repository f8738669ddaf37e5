export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * An incremental parser for text/event-stream (the WHATWG rules the SDK needs: `event`, `id`,
 * `data`, comments, any line ending). Feed it chunks; it returns the messages they complete.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private id: string | undefined;
  private data: string[] = [];
  /** The id of the last complete message, as EventSource keeps it for Last-Event-ID. */
  lastEventId: string | undefined;

  push(chunk: string): SseMessage[] {
    let text = this.buffer + chunk;
    // A \r at the very end may be the first half of a \r\n split across chunks.
    const held = text.endsWith('\r') ? '\r' : '';
    if (held) text = text.slice(0, -1);
    const out: SseMessage[] = [];
    const lines = text.split(/\r\n|\r|\n/);
    // The last piece is a partial line: keep it for the next chunk.
    this.buffer = (lines.pop() ?? '') + held;
    for (const line of lines) {
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return null;
  }

  private dispatch(): SseMessage | null {
    if (this.id !== undefined) this.lastEventId = this.id;
    const message =
      this.data.length > 0
        ? { event: this.event || 'message', id: this.id, data: this.data.join('\n') }
        : null;
    this.event = '';
    this.id = undefined;
    this.data = [];
    return message;
  }
}
