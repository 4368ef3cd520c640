/**
 * Fires once when the client goes away, so every layer still waiting (and undici, which accepts an
 * EventEmitter with `aborted` as its `signal`) can stop. Not an AbortSignal on purpose: on Node 20 an
 * AbortController plus one listener costs several microseconds per request, a large share of the
 * proxy's budget; this costs a fraction of that.
 */
import { EventEmitter } from 'node:events';

export class ClientSignal extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }

  /** Runs `listener` once when the client goes away; returns a function that cancels that. */
  whenAborted(listener: () => void): () => void {
    this.once('abort', listener);
    return () => this.removeListener('abort', listener);
  }
}
