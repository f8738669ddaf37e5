import type { Socket } from 'node:net';

/**
 * Open connections per remote address, with a cap: one address cannot take every socket a
 * port will hold. Shared by the HTTP port and the election port.
 */
export class ConnectionsPerAddress {
  private readonly open = new Map<string, number>();

  constructor(private cap: number) {}

  get max(): number {
    return this.cap;
  }

  /** More peers joined: each may hold as many connections as before. */
  raiseTo(max: number): void {
    this.cap = Math.max(this.cap, max);
  }

  /** Connections open now from `host`. */
  from(host: string): number {
    return this.open.get(host) ?? 0;
  }

  /** Counts `socket` until it closes and returns true, or returns false if its address is full. */
  admit(socket: Socket): boolean {
    const host = socket.remoteAddress ?? '?';
    const open = this.from(host);
    if (open >= this.max) return false;
    this.open.set(host, open + 1);
    socket.once('close', () => {
      const left = this.from(host) - 1;
      if (left > 0) this.open.set(host, left);
      else this.open.delete(host);
    });
    return true;
  }
}
