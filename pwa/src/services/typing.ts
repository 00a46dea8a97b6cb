// Typing indicators (protocol SPEC §8c, TYP1..TYP8): who is typing in which conversation,
// each with its expiry, and this device's own signals while the user types. Ephemeral: held
// in memory only, never in IndexedDB; a signal that cannot be sent now (offline) is dropped.
// Loaded with the conversation screen (the screens chunk), not at start.
import { TYPING_LIMITS, openTyping, sealTyping, type TypingOpenContext, type TypingState } from '../../../protocol/src/typing.ts';
import type { DeviceSigner } from '../../../protocol/src/device.ts';
import { getConversation, getEpochs } from '../stores/conversations.ts';
import type { Db } from '../stores/db.ts';
import type { Device } from './device.ts';
import { contactMap } from './keyring.ts';

/** What the typing service needs from the device: keys and the socket, through narrow calls. */
export interface TypingPort {
  me: string;
  /** The current epoch and this device's signer, or null when nothing may be sent there now. */
  sealContext(conversationId: string): Promise<{ epoch: number; key: CryptoKey; device: DeviceSigner } | null>;
  /** What openTyping needs besides the clock and the counters, or null (unknown conversation). */
  openContext(conversationId: string): Promise<Omit<TypingOpenContext, 'conversationId' | 'now' | 'seen'> | null>;
  /** Hands a sealed signal to the open socket: false when there is none (then it is dropped). */
  send(conversationId: string, sealed: string): boolean;
  /** The socket is up: signals are sealed only then (TYP8: never queued). */
  online(): boolean;
}

export interface TypingOptions {
  now?: () => number;
  /** Calls `fn` after `ms` (the page: setTimeout); returns a cancel function. */
  timer?: (fn: () => void, ms: number) => () => void;
}

interface Typer { until: number; sentAt: number }

/**
 * TYP8. Sender: `input(cid, text)` on every composer change sends `start` at most once per
 * resendMs, and `stop` when the text is cleared; `stop(cid)` on send and on leaving. Receiver:
 * `receive(cid, sealed)` opens and checks a relayed signal (TYP3..TYP7); `typers(cid)` lists
 * who is typing now; a `start` shows for showMs unless a `stop` or a message (`messageFrom`)
 * comes first. Dispatches `change` whenever that list may have changed.
 */
export class Typing extends EventTarget {
  /** Signals this device handed to the socket, and signals it accepted, since the page loaded. */
  sent = 0;
  accepted = 0;
  refused = 0;
  /** Signals that arrived while the setting was off (not opened, not shown). */
  ignored = 0;
  private enabled: boolean;
  private readonly now: () => number;
  private readonly timer: (fn: () => void, ms: number) => () => void;
  private readonly shown = new Map<string, Map<string, Typer>>();
  /** TYP7: last counter accepted per sender#device (memory, the page's lifetime). */
  private readonly seen = new Map<string, number>();
  /** When this device last sent `start` per conversation (0: it is not typing there). */
  private readonly startedAt = new Map<string, number>();
  private counter = 0;
  private expiry: (() => void) | null = null;
  /** Signals of one conversation are sealed and sent in order. */
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly port: TypingPort, enabled: boolean, o: TypingOptions = {}) {
    super();
    this.enabled = enabled;
    this.now = o.now ?? Date.now;
    this.timer = o.timer ?? ((fn, ms) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    });
  }

  /** TYP8: "Send and show typing indicators"; off clears what is shown and sends nothing more. */
  setEnabled(on: boolean): void {
    if (on === this.enabled) return;
    if (!on) for (const cid of [...this.startedAt.keys()]) this.stop(cid);
    this.enabled = on;
    if (!on && this.shown.size > 0) {
      this.shown.clear();
      this.changed();
    }
  }

  /** Who is typing in the conversation now (user ids, in the order they started). */
  typers(conversationId: string): string[] {
    const now = this.now();
    return [...(this.shown.get(conversationId) ?? new Map<string, Typer>())].filter(([, t]) => t.until > now).map(([u]) => u);
  }

  // ---- sending -------------------------------------------------------------------------

  /** The composer's text changed (an intent from the conversation screen). */
  input(conversationId: string, text: string): void {
    if (!this.enabled) return;
    if (!text.trim()) {
      this.stop(conversationId);
      return;
    }
    const last = this.startedAt.get(conversationId) ?? 0;
    const now = this.now();
    if (now - last < TYPING_LIMITS.resendMs) return;
    if (!this.port.online()) return;
    this.startedAt.set(conversationId, now);
    this.signal(conversationId, 'start');
  }

  /** Sent, cleared, or left: `stop`, if this device said `start` there. */
  stop(conversationId: string): void {
    if (!this.startedAt.has(conversationId)) return;
    this.startedAt.delete(conversationId);
    if (!this.enabled || !this.port.online()) return;
    this.signal(conversationId, 'stop');
  }

  private signal(conversationId: string, state: TypingState): void {
    this.sending = this.sending.then(async () => {
      const ctx = await this.port.sealContext(conversationId);
      if (!ctx) return;
      const sentAt = this.now();
      this.counter = Math.max(this.counter + 1, sentAt);
      const sealed = await sealTyping({ conversationId, epoch: ctx.epoch, epochKey: ctx.key, device: ctx.device, state, sentAt, counter: this.counter });
      if (this.port.send(conversationId, sealed)) {
        this.sent++;
        this.dispatchEvent(new Event('change'));
      }
    }).catch(() => undefined);
  }

  /** For tests: every signal asked for so far has been sealed and handed over (or dropped). */
  flushed(): Promise<void> {
    return this.sending;
  }

  // ---- receiving -----------------------------------------------------------------------

  /** A `typing` frame from the service. Resolves once it is handled. */
  async receive(conversationId: string, sealed: string): Promise<void> {
    if (!this.enabled) {
      this.ignored++;
      this.dispatchEvent(new Event('change'));
      return;
    }
    const base = await this.port.openContext(conversationId).catch(() => null);
    if (!base) return;
    const r = await openTyping(sealed, { ...base, conversationId, now: this.now(), seen: this.seen });
    if (!r.ok) {
      this.refused++;
      return;
    }
    if (!this.enabled || r.signal.sender === this.port.me) return;
    this.accepted++;
    let conv = this.shown.get(conversationId);
    if (r.signal.state === 'stop') {
      if (!conv?.delete(r.signal.sender)) return;
    } else {
      if (!conv) this.shown.set(conversationId, (conv = new Map()));
      conv.delete(r.signal.sender);
      conv.set(r.signal.sender, { until: this.now() + TYPING_LIMITS.showMs, sentAt: r.signal.sentAt });
    }
    this.changed();
  }

  /** A message from `sender` composed at `composedAt` is shown: their earlier `start` is over. */
  messageFrom(conversationId: string, sender: string, composedAt: number): void {
    const conv = this.shown.get(conversationId);
    const t = conv?.get(sender);
    if (!t || composedAt < t.sentAt) return;
    conv!.delete(sender);
    this.changed();
  }

  /** Drop what has expired and wake up again at the next expiry. */
  private changed(): void {
    const now = this.now();
    let next = Infinity;
    for (const [cid, conv] of this.shown) {
      for (const [u, t] of conv) if (t.until <= now) conv.delete(u); else next = Math.min(next, t.until);
      if (conv.size === 0) this.shown.delete(cid);
    }
    this.expiry?.();
    this.expiry = next === Infinity ? null : this.timer(() => this.changed(), next - now);
    this.dispatchEvent(new Event('change'));
  }
}

/** The port of a signed-in device (messenger.ts hands over its Device, database and socket). */
export function devicePort(p: { device: Device; db: Db; me: string; send: (conversationId: string, sealed: string) => boolean; online: () => boolean }): TypingPort {
  const { device, db } = p;
  const current = async (conversationId: string) => {
    const conv = await getConversation(db, conversationId);
    if (!conv || !conv.members.includes(p.me)) return null;
    const epoch = (await getEpochs(db, conversationId)).find((e) => e.epoch === conv.latestEpoch);
    return epoch ?? null;
  };
  return {
    me: p.me,
    send: p.send,
    online: p.online,
    async sealContext(conversationId) {
      const epoch = await current(conversationId);
      if (!epoch) return null;
      return { epoch: epoch.epoch, key: epoch.key, device: await device.deviceKeys.signer() };
    },
    async openContext(conversationId) {
      const epoch = await current(conversationId);
      if (!epoch) return null;
      const contacts = await contactMap(db);
      // TYP5: the revocations this device verified and stored (DEV8); no request per signal.
      const revokedDevice = await device.revocations.stored(epoch.members.map((m) => m.userId));
      const resolveIdentity = await device.keyring.resolverFor(contacts, epoch.members);
      return { epoch: { epoch: epoch.epoch, key: epoch.key, members: epoch.members }, resolveIdentity, revokedDevice };
    },
  };
}

/** The part of the Messenger (messenger.ts) the typing service hangs on. */
export interface TypingHost {
  typing: Typing | null;
  typingIndicators: boolean;
  me: { userId: string } | null;
  typingDevice(): Promise<Parameters<typeof devicePort>[0]>;
}

/** The messenger's typing service, made on first use (by the conversation screen). */
export function typingFor(host: TypingHost): Typing {
  if (host.typing) return host.typing;
  let resolved: TypingPort | null = null;
  const ready = host.typingDevice().then((d) => (resolved = devicePort(d)));
  ready.catch(() => undefined);
  const port: TypingPort = {
    get me() {
      return host.me?.userId ?? '';
    },
    online: () => resolved?.online() ?? false,
    send: (c, sealed) => resolved?.send(c, sealed) ?? false,
    sealContext: async (c) => (await ready).sealContext(c),
    openContext: async (c) => (await ready).openContext(c),
  };
  host.typing = new Typing(port, host.typingIndicators);
  return host.typing;
}
