import { EventEmitter } from 'node:events';

/** What `on()` returns: call `dispose()` to stop listening. */
export interface Disposable {
  dispose(): void;
}

/**
 * A small typed event emitter. Mechanisms emit; metrics and logs subscribe. A listener that
 * throws is caught and reported on 'listenerError' so it can never break the message path.
 */
export class TypedEvents<E extends { [K in keyof E]: unknown[] }> {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): Disposable {
    const safe = (...args: E[K]): void => {
      try {
        listener(...args);
      } catch (error) {
        if (event !== 'listenerError') this.#emitter.emit('listenerError', error, event);
      }
    };
    this.#emitter.on(event, safe as (...args: unknown[]) => void);
    return { dispose: () => this.#emitter.off(event, safe as (...args: unknown[]) => void) };
  }

  once<K extends keyof E & string>(event: K): Promise<E[K]> {
    return new Promise((resolve) => {
      const d = this.on(event, (...args) => {
        d.dispose();
        resolve(args);
      });
    });
  }

  emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    this.#emitter.emit(event, ...args);
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }
}
