import { get, type IncomingMessage } from 'node:http';
import { waitFor } from './poll';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: unknown;
}

/**
 * A raw SSE client on node:http, independent of the SDK, so the server's stream is checked
 * against the wire format rather than against our own parser.
 */
export class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: IncomingMessage['headers'] = {};
  body = '';
  ended = false;
  private res: IncomingMessage | null = null;
  private buffer = '';
  private readonly req;

  constructor(url: string, lastEventId?: string) {
    this.req = get(url, { headers: lastEventId ? { 'last-event-id': lastEventId } : {} }, (res) => {
      this.res = res;
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.feed(chunk));
      res.on('end', () => (this.ended = true));
      res.on('error', () => (this.ended = true));
    });
    this.req.on('error', () => (this.ended = true));
  }

  async waitForStatus(): Promise<number> {
    return waitFor('a response', () => this.status || undefined);
  }

  async waitForEvents(n: number, what = `${n} events`): Promise<SseEvent[]> {
    return waitFor(what, () => (this.events.length >= n ? this.events.slice(0, n) : undefined));
  }

  close(): void {
    this.res?.destroy();
    this.req.destroy();
  }

  private feed(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ event, id, data: JSON.parse(data.join('\n')) });
    }
  }
}
