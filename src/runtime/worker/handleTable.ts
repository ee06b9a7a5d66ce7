/** Resource handles of one instance: guest objects <-> integers that JSON can carry. */
import { RuntimeError } from '../RuntimeError.ts';
import type { HandleTable } from '../wit/index.ts';

/**
 * Maps guest resource objects to integer handles that JSON can carry, per instance. An `own<T>`
 * argument moves its resource into the guest (the component model's ownership transfer; jco then
 * refuses the object for good): the table forgets such a handle once the call entered the guest, and
 * remembers that it was moved, so a later use is an argument error that says so, checked before the
 * guest runs. Neither the instance nor its other handles are touched.
 */
export class ObjectHandleTable implements HandleTable {
  #next = 1;
  #byHandle = new Map<number, { resource: string; value: unknown }>();
  #byValue = new Map<unknown, number>();
  /** Handles moved into the guest by earlier calls, with their resource. */
  #moved = new Map<number, string>();
  /** Handles that the call being prepared moves (committed by `commitMoves`, else dropped). */
  #moving = new Set<number>();

  toGuest(resource: string, handle: number): unknown {
    const entry = this.#byHandle.get(handle);
    if (this.#moved.get(handle) === resource && entry === undefined) {
      throw new RuntimeError(
        'invalid-argument',
        `handle ${handle} of resource "${resource}" was moved into the component by an earlier call (an own<${resource}> parameter takes the resource) and no longer exists; create a new one`,
      );
    }
    if (!entry || entry.resource !== resource) {
      throw new RuntimeError(
        'invalid-argument',
        `there is no ${resource} with handle ${handle} in this instance (handles only live in the stateful instance that made them)`,
      );
    }
    return entry.value;
  }

  move(resource: string, handle: number): unknown {
    const value = this.toGuest(resource, handle);
    if (this.#moving.has(handle)) {
      throw new RuntimeError(
        'invalid-argument',
        `handle ${handle} of resource "${resource}" is given twice; an own<${resource}> handle can be passed once`,
      );
    }
    this.#moving.add(handle);
    return value;
  }

  /** The call entered the guest: the handles it moved are gone. */
  commitMoves(): void {
    for (const handle of this.#moving) {
      const entry = this.#byHandle.get(handle);
      if (entry === undefined) continue;
      this.#byHandle.delete(handle);
      this.#byValue.delete(entry.value);
      this.#moved.set(handle, entry.resource);
    }
    this.#moving.clear();
  }

  /** The call never reached the guest: nothing was moved. */
  cancelMoves(): void {
    this.#moving.clear();
  }

  fromGuest(resource: string, value: unknown): number {
    const known = this.#byValue.get(value);
    if (known !== undefined) return known;
    const handle = this.#next++;
    this.#byHandle.set(handle, { resource, value });
    this.#byValue.set(value, handle);
    return handle;
  }
}
