/** The newest `capacity` items, oldest first; memory stays bounded whatever the event rate. */
export class EventRing<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Newest first, as a feed is read. */
  newestFirst(): T[] {
    const ordered = [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
    return ordered.reverse();
  }
}
