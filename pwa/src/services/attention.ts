// What asks for the user's attention (issue 16; SPEC NOTE2, NOTE3): the unread count in the
// document title and the app badge, and a system notification for a new message while the
// app is hidden. Notifications leave the app's control (the system shows them on a locked
// screen and may keep them), so they say only "New message" unless the user turned on
// previews in Settings. Muted conversations count for nothing here (services/mute.ts).
import type { Db } from '../stores/db.ts';
import { mutedConversations, setMuted } from './mute.ts';
import { APP_TITLE, NOTIFICATION_TAG, contentFree, type NotificationContent } from './push-notice.ts';
import type { ConversationSummary } from './views.ts';

const PREFS_KEY = 'notify:prefs';

export interface NotifyPrefs {
  /** The user turned notifications on in Settings (the browser's permission is asked then). */
  enabled: boolean;
  /** "Show sender and text in notifications": off unless the user turns it on. */
  previews: boolean;
}

export const DEFAULT_PREFS: NotifyPrefs = { enabled: false, previews: false };

/** NOTE3: the unread messages that count: accepted conversations (views.ts), muted ones left out. */
export function unreadTotal(summaries: readonly ConversationSummary[], muted: ReadonlySet<string>): number {
  return summaries.reduce((n, s) => n + (muted.has(s.conversationId) ? 0 : s.unread), 0);
}

export function titleFor(count: number): string {
  return count > 0 ? `(${count}) ${APP_TITLE}` : APP_TITLE;
}

/** NOTE3: conversations whose unread count went up since `before`, muted ones left out. */
export function arrivals(before: ReadonlyMap<string, number>, summaries: readonly ConversationSummary[], muted: ReadonlySet<string>): string[] {
  return summaries.filter((s) => !muted.has(s.conversationId) && s.unread > (before.get(s.conversationId) ?? 0)).map((s) => s.conversationId);
}

/**
 * NOTE2: the notification for new messages. Without previews: "New message" and nothing
 * else (no sender, no text, no conversation). With previews: the contact or group name, and
 * the list's preview (in a group "bea: text", so who wrote it too), and the conversation to
 * open on a click.
 */
export function notificationFor(prefs: NotifyPrefs, count: number, preview?: { conversationId: string; from: string; text: string | null }): NotificationContent {
  if (!prefs.previews || !preview) return contentFree(count);
  return {
    title: preview.from,
    options: { body: preview.text ?? 'New message', tag: NOTIFICATION_TAG, icon: '/icons/icon-192.png', data: { conversationId: preview.conversationId } },
  };
}

/** What Attention needs from the page, so the tests can hand it a fake one. */
export interface AttentionEnv {
  hidden(): boolean;
  setTitle(title: string): void;
  setBadge(count: number): void;
  permission(): NotificationPermission | 'unsupported';
  show(n: NotificationContent): Promise<void>;
}

// Without a document (Node, where the messenger's tests run it) there is no title to set.
const hasDocument = () => typeof document !== 'undefined';

export const browserEnv: AttentionEnv = {
  hidden: () => hasDocument() && document.visibilityState === 'hidden',
  setTitle: (title) => {
    if (hasDocument()) document.title = title;
  },
  setBadge: (count) => {
    // globalThis: Node 20 (the messenger's tests) has no navigator at all.
    const nav = globalThis.navigator as (Navigator & { setAppBadge?: (n: number) => Promise<void>; clearAppBadge?: () => Promise<void> }) | undefined;
    // Only where present (installed apps on Chromium, Safari); a refusal is not an error.
    if (count > 0) void nav?.setAppBadge?.(count).catch(() => undefined);
    else void nav?.clearAppBadge?.().catch(() => undefined);
  },
  permission: () => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission),
  async show(n) {
    // Through the worker (the only way on Android; its click handler opens the app).
    await (await navigator.serviceWorker.getRegistration())?.showNotification(n.title, n.options);
  },
};

export class Attention {
  muted = new Set<string>();
  prefs: NotifyPrefs = { ...DEFAULT_PREFS };
  private before: Map<string, number> | null = null;

  constructor(private readonly db: Db, private readonly env: AttentionEnv = browserEnv) {}

  async load(): Promise<void> {
    this.muted = await mutedConversations(this.db);
    const row = await this.db.get('settings', PREFS_KEY);
    this.prefs = { ...DEFAULT_PREFS, ...(row?.value as Partial<NotifyPrefs> | undefined) };
  }

  async setMuted(conversationId: string, muted: boolean): Promise<void> {
    await setMuted(this.db, conversationId, muted);
    if (muted) this.muted.add(conversationId);
    else this.muted.delete(conversationId);
  }

  async setPrefs(prefs: Partial<NotifyPrefs>): Promise<void> {
    this.prefs = { ...this.prefs, ...prefs };
    await this.db.put('settings', { key: PREFS_KEY, value: this.prefs });
  }

  /**
   * After every refresh of the list: the title and badge, and a notification when an
   * unmuted conversation got new messages while the app is hidden. The first call only
   * records the counts (what was unread at start was notified before, or never will be).
   */
  async update(summaries: readonly ConversationSummary[], describe: (conversationId: string) => Promise<{ from: string; text: string | null }>): Promise<void> {
    const total = unreadTotal(summaries, this.muted);
    this.env.setTitle(titleFor(total));
    this.env.setBadge(total);
    const before = this.before;
    this.before = new Map(summaries.map((s) => [s.conversationId, s.unread]));
    if (!before || !this.prefs.enabled || !this.env.hidden() || this.env.permission() !== 'granted') return;
    const fresh = arrivals(before, summaries, this.muted);
    if (fresh.length === 0) return;
    const last = fresh[fresh.length - 1]!;
    const preview = this.prefs.previews ? { conversationId: last, ...(await describe(last)) } : undefined;
    await this.env.show(notificationFor(this.prefs, total, preview)).catch(() => undefined);
  }
}
