// Notifications, the unread count and mute (issue 16): SPEC NOTE1..NOTE3 on the client.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../stores/db.ts';
import { Attention, notificationFor, titleFor, unreadTotal, type AttentionEnv } from './attention.ts';
import { pushNotification, type NotificationContent } from './push-notice.ts';
import { mutedConversations } from './mute.ts';
import type { ConversationSummary } from './views.ts';

const summary = (conversationId: string, unread: number, others = ['ada']): ConversationSummary => ({
  conversationId, members: ['bea', ...others], others, unread, lastActivity: 0, preview: null, blocked: null, request: 'accepted', verified: false, group: null,
});

function fakeEnv(hidden = true): AttentionEnv & { shown: NotificationContent[]; titles: string[]; badges: number[]; hidden: () => boolean; setHidden(h: boolean): void } {
  let isHidden = hidden;
  const env = {
    shown: [] as NotificationContent[], titles: [] as string[], badges: [] as number[],
    hidden: () => isHidden,
    setHidden: (h: boolean) => { isHidden = h; },
    setTitle: (t: string) => void env.titles.push(t),
    setBadge: (n: number) => void env.badges.push(n),
    permission: () => 'granted' as const,
    show: async (n: NotificationContent) => void env.shown.push(n),
  };
  return env;
}

const TEXT = 'the keys are under the mat';
const describeAda = async () => ({ from: 'ada', text: TEXT });

describe('attention: title, badge, notifications', () => {
  it('NOTE2: a notification says only "New message" unless previews are on: no sender, no text, no conversation', () => {
    const preview = { conversationId: 'c1', from: 'ada', text: TEXT };
    const off = notificationFor({ enabled: true, previews: false }, 1, preview);
    expect(off.title).toBe('MessageHub');
    expect(off.options.body).toBe('New message');
    expect(JSON.stringify(off)).not.toMatch(/ada|keys|c1/);
    const on = notificationFor({ enabled: true, previews: true }, 1, preview);
    expect([on.title, on.options.body, on.options.data]).toEqual(['ada', TEXT, { conversationId: 'c1' }]);
  });

  it('NOTE1: the worker shows the same content-free notification whatever a push carries', () => {
    for (const payload of [{ v: 1, type: 'new-messages' }, null, { v: 1, type: 'new-messages', body: TEXT, from: 'ada' }, TEXT]) {
      const n = pushNotification(payload);
      expect([n.title, n.options.body, n.options.data]).toEqual(['MessageHub', 'New messages', {}]);
    }
  });

  it('NOTE3: the count in the title and badge leaves muted conversations out, and they raise no notification', async () => {
    const db = await openDatabase(`attention-${crypto.randomUUID()}`);
    const env = fakeEnv(true);
    const a = new Attention(db, env);
    await a.load();
    await a.setPrefs({ enabled: true });
    await a.update([summary('c1', 0), summary('c2', 0)], describeAda);
    expect(env.titles.at(-1)).toBe('MessageHub');
    await a.setMuted('c2', true);
    await a.update([summary('c1', 0), summary('c2', 3)], describeAda);
    expect([env.titles.at(-1), env.badges.at(-1), env.shown.length]).toEqual(['MessageHub', 0, 0]);
    await a.update([summary('c1', 2), summary('c2', 4)], describeAda);
    expect([env.titles.at(-1), env.badges.at(-1), env.shown.length]).toEqual(['(2) MessageHub', 2, 1]);
    expect(env.shown[0]!.options.body).toBe('New messages');
    // kept on the device, read again on the next start
    expect(await mutedConversations(db)).toEqual(new Set(['c2']));
    const again = new Attention(db, fakeEnv());
    await again.load();
    expect([...again.muted, again.prefs.enabled, again.prefs.previews]).toEqual(['c2', true, false]);
    db.close();
  });

  it('notifies only while hidden, only when turned on, and not for what was unread at start', async () => {
    const db = await openDatabase(`attention-${crypto.randomUUID()}`);
    const env = fakeEnv(false);
    const a = new Attention(db, env);
    await a.load();
    await a.update([summary('c1', 1)], describeAda); // at start
    await a.update([summary('c1', 2)], describeAda); // visible, and not turned on
    env.setHidden(true);
    await a.update([summary('c1', 3)], describeAda); // hidden, not turned on
    expect(env.shown).toEqual([]);
    await a.setPrefs({ enabled: true });
    await a.update([summary('c1', 4)], describeAda);
    expect(env.shown.map((n) => [n.title, n.options.body])).toEqual([['MessageHub', 'New messages']]);
    await a.setPrefs({ previews: true });
    await a.update([summary('c1', 5)], describeAda);
    expect(env.shown.at(-1)!.title).toBe('ada');
    expect(env.shown.at(-1)!.options.body).toBe(TEXT);
    await a.update([summary('c1', 0)], describeAda); // read
    expect([env.titles.at(-1), env.badges.at(-1), env.shown.length]).toEqual([titleFor(0), 0, 2]);
    expect(unreadTotal([summary('a', 1), summary('b', 2)], new Set(['b']))).toBe(1);
    db.close();
  });
});
