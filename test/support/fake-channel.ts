/**
 * What the in-memory stand-ins for PeerChannel share: sendEach as one send per peer of the body
 * with that peer's fields, as the real channel puts them on the wire.
 */
export abstract class FakeChannelBase {
  abstract send(to: string, type: string, term: number, body: Record<string, unknown>): boolean;

  sendEach(
    peers: readonly string[],
    type: string,
    term: number,
    body: Record<string, unknown>,
    extra: (peer: string) => Record<string, unknown> | null,
  ): void {
    for (const to of peers) this.send(to, type, term, { ...body, ...extra(to) });
  }
}
