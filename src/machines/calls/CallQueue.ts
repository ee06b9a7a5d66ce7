/**
 * An immutable FIFO for a machine's context: `push` and `shift` return a new queue in O(1) (amortized),
 * and no version ever changes once made, so every snapshot XState keeps (an old one handed to
 * `getNextSnapshot` twice, one in an inspection event read later) still shows the queue it had.
 *
 * How: the versions share one backing array and each sees its own window `[head, tail)`. A version
 * appends in place only when nobody appended beyond its tail yet (the slot is free); otherwise it copies
 * its window first. Dropping the head moves `head`; once more than half the array is dead the window is
 * copied to a fresh array, so served calls are not kept alive (amortized O(1) per call).
 *
 * It reads like an array where the machines and their tests need it (`length`, iteration, `map`,
 * `find`, `at`) and serializes as one (`toJSON`), so a persisted or inspected snapshot shows a plain list.
 */
export class CallQueue<T> implements Iterable<T> {
  static readonly #empty = new CallQueue<never>([], 0, 0);

  /** The empty queue (one shared instance). */
  static empty<T>(): CallQueue<T> {
    return CallQueue.#empty;
  }

  /** A queue holding `items` in order (copied). */
  static of<T>(items: Iterable<T>): CallQueue<T> {
    const array = [...items];
    return array.length === 0 ? CallQueue.#empty : new CallQueue(array, 0, array.length);
  }

  readonly #items: T[];
  readonly #head: number;
  readonly #tail: number;

  private constructor(items: T[], head: number, tail: number) {
    this.#items = items;
    this.#head = head;
    this.#tail = tail;
  }

  get length(): number {
    return this.#tail - this.#head;
  }

  /** The queue with `item` at its end. */
  push(item: T): CallQueue<T> {
    const items = this.#items;
    if (items.length === this.#tail && (this as CallQueue<unknown>) !== CallQueue.#empty) {
      // Nobody appended beyond this version yet: the slot is ours, older versions never look at it.
      items.push(item);
      return new CallQueue(items, this.#head, this.#tail + 1);
    }
    const copy = items.slice(this.#head, this.#tail);
    copy.push(item);
    return new CallQueue(copy, 0, copy.length);
  }

  /** The queue without its first item (itself when empty). */
  shift(): CallQueue<T> {
    if (this.length <= 1) return CallQueue.#empty;
    const head = this.#head + 1;
    // More dead than live slots: start a fresh array so that served items can be collected.
    if (head >= 32 && head * 2 > this.#items.length)
      return new CallQueue(this.#items.slice(head, this.#tail), 0, this.#tail - head);
    return new CallQueue(this.#items, head, this.#tail);
  }

  /** The item at `index` (negative: from the end), like `Array.prototype.at`. */
  at(index: number): T | undefined {
    const i = index < 0 ? this.#tail + index : this.#head + index;
    return i >= this.#head && i < this.#tail ? this.#items[i] : undefined;
  }

  /** The queue without the items `keep` rejects (O(n); for cancels, not for the per-call path). */
  filter(keep: (item: T) => boolean): CallQueue<T> {
    return CallQueue.of(this.toArray().filter(keep));
  }

  find(predicate: (item: T) => boolean): T | undefined {
    for (let i = this.#head; i < this.#tail; i++) {
      const item = this.#items[i] as T;
      if (predicate(item)) return item;
    }
    return undefined;
  }

  map<U>(fn: (item: T, index: number) => U): U[] {
    const out: U[] = [];
    for (let i = this.#head; i < this.#tail; i++) out.push(fn(this.#items[i] as T, i - this.#head));
    return out;
  }

  toArray(): T[] {
    return this.#items.slice(this.#head, this.#tail);
  }

  toJSON(): T[] {
    return this.toArray();
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.#head; i < this.#tail; i++) yield this.#items[i] as T;
  }
}
