// The push channel to attached UEs: per IMSI the open event streams (server-sent events, WHATWG HTML 9.2) and
// the events not yet delivered (a notice posted while the UE is reconnecting its stream is kept, up to a bound).

export interface PushEvent {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** One open stream, as the HTTP layer gives it: write text, end it. */
export interface EventSink {
  write(text: string): void;
  end(): void;
}

/** Undelivered events kept per UE; older ones are dropped first. */
export const MAX_PENDING_EVENTS = 32;

export function encodeEvent(e: PushEvent): string {
  return `event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

export class PushHub {
  readonly #sinks = new Map<string, Set<EventSink>>();
  readonly #pending = new Map<string, PushEvent[]>();

  /** Registers a stream and flushes what waited for it; returns the function that unregisters it. */
  open(imsi: string, sink: EventSink): () => void {
    let set = this.#sinks.get(imsi);
    if (set === undefined) this.#sinks.set(imsi, (set = new Set()));
    set.add(sink);
    for (const e of this.#pending.get(imsi) ?? []) sink.write(encodeEvent(e));
    this.#pending.delete(imsi);
    return () => {
      set.delete(sink);
      if (set.size === 0 && this.#sinks.get(imsi) === set) this.#sinks.delete(imsi);
    };
  }

  /** Delivers to every open stream of the UE, or keeps it until one opens; returns the number of streams. */
  push(imsi: string, e: PushEvent): number {
    const set = this.#sinks.get(imsi);
    if (set === undefined || set.size === 0) {
      const queue = this.#pending.get(imsi) ?? [];
      queue.push(e);
      if (queue.length > MAX_PENDING_EVENTS) queue.shift();
      this.#pending.set(imsi, queue);
      return 0;
    }
    for (const sink of set) sink.write(encodeEvent(e));
    return set.size;
  }

  /** Comment lines keep idle connections (and proxies) from timing out. */
  keepAlive(): void {
    for (const set of this.#sinks.values()) for (const sink of set) sink.write(': keep-alive\n\n');
  }

  /** Ends the UE's streams and forgets its undelivered events (detach). */
  close(imsi: string): void {
    for (const sink of this.#sinks.get(imsi) ?? []) sink.end();
    this.#sinks.delete(imsi);
    this.#pending.delete(imsi);
  }

  closeAll(): void {
    for (const imsi of [...this.#sinks.keys()]) this.close(imsi);
    this.#pending.clear();
  }
}
