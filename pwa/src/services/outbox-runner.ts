// The page's side of sending: flush the outbox at start, on `online`, on becoming
// visible and after every new message, retrying with exponential backoff (after a
// `retryLater`, when the service said). Background
// Sync (in the service worker) is asked as well where the browser has it.
import type { FlushOutcome } from './outbox-flush.ts';

export const SYNC_TAG = 'outbox-flush';
const FIRST_DELAY = 1000;
const MAX_DELAY = 20_000;

interface SyncRegistration extends ServiceWorkerRegistration {
  sync?: { register(tag: string): Promise<void> };
}

export class OutboxRunner {
  private readonly flush: () => Promise<FlushOutcome>;
  private readonly onResult: (o: FlushOutcome) => void;
  private delay = FIRST_DELAY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private stopped = true;
  private readonly onOnline = () => this.kick();
  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') this.kick();
  };

  constructor(flush: () => Promise<FlushOutcome>, onResult: (o: FlushOutcome) => void) {
    this.flush = flush;
    this.onResult = onResult;
  }

  start(): void {
    this.stopped = false;
    addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
  }

  /** Try now (new message, network back): the backoff starts over. */
  kick(): void {
    if (this.stopped) return;
    this.delay = FIRST_DELAY;
    clearTimeout(this.timer);
    void this.run();
  }

  /** Ask the service worker to flush when the network is back, even if this page is closed. */
  async requestBackgroundSync(): Promise<boolean> {
    try {
      const reg = (await Promise.race([
        navigator.serviceWorker?.ready,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000)),
      ])) as SyncRegistration | undefined;
      if (!reg?.sync) return false;
      await reg.sync.register(SYNC_TAG);
      return true;
    } catch {
      return false;
    }
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let outcome: FlushOutcome;
    try {
      outcome = await this.flush();
    } catch {
      outcome = { ok: false, sent: 0, reason: 'server' };
    }
    this.running = false;
    this.onResult(outcome);
    if (this.again) {
      this.again = false;
      void this.run();
      return;
    }
    if (!outcome.ok && outcome.reason === 'busy' && !this.stopped) {
      // Refused as overloaded: what it asked for, spread out so clients do not come back at once.
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.run(), outcome.retryAfterMs * (1 + Math.random() / 2));
    } else if (!outcome.ok && outcome.reason !== 'no-session' && !this.stopped) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.run(), this.delay);
      this.delay = Math.min(this.delay * 2, MAX_DELAY);
    } else {
      this.delay = FIRST_DELAY;
    }
  }
}
