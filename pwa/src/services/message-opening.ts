// Stored messages opened in memory (never written back: no plaintext at rest), and the
// conversation list's previews made from them. Apart from views.ts, in the online chunk
// (online.ts): opening an envelope needs its checks (OPEN1..OPEN7), the wire decoder, the
// padding and a synchronous SHA-256, and the list paints without any of it (issue 18). The
// previews come after the list, and already waited for this chunk's event fold (EVT6).
import {
  chainOf, envelopeHash, openMessage,
  type Envelope, type FoldedMessage, type FoldItem, type MessageKind, type MessagePlaintext,
} from '../../../protocol/src/index.ts';
import type { ContactRow, Db, EpochRow, LogRow, OutboxRow } from '../stores/db.ts';
import { getEpochs } from '../stores/conversations.ts';
import { lastEntries } from '../stores/log.ts';
import { outboxFor } from '../stores/outbox.ts';
import { foldEvents } from './folding.ts';
import { contactMap, type Keyring, type Plain } from './keyring.ts';

/** What opening reads: the device's stores, its keys and plaintext cache (Views lends them). */
export interface OpeningSource {
  db: Db;
  keyring: Keyring;
  me: string;
}

/** EVT7: plaintext kinds that are events about other messages, never bubbles. */
export const EVENT_KINDS = new Set<MessageKind | undefined>(['read', 'reaction', 'edit', 'delete']);

/** EVT4: an opened envelope as the fold sees it: who signed it, on which chain, at which counter. */
export function foldItem(env: Envelope, hash: string, plaintext: MessagePlaintext): FoldItem {
  return { id: env.clientMessageId, hash, sender: env.sender, chain: chainOf(env), counter: env.counter, plaintext };
}

/** A stored message's plaintext: from memory, or opened again (after a reload) and kept. */
export async function plainOf(src: OpeningSource, cid: string, row: LogRow, contacts: Map<string, ContactRow>, epochs: Map<number, EpochRow>): Promise<Plain | undefined> {
  const key = `${cid}/${row.seq}`;
  const cached = src.keyring.plain.get(key);
  if (cached || row.kind !== 'message' || !row.check.hash) return cached;
  const env = row.body as Envelope;
  const resolve = await src.keyring.resolverFor(contacts, epochs.get(env.epoch)?.members);
  const opened = await openMessage(env, { conversationId: cid, epochs, resolveIdentity: resolve });
  if (!opened.ok) return undefined;
  const p = { plaintext: opened.plaintext, sender: env.sender };
  src.keyring.plain.set(key, p);
  return p;
}

/** One of our own messages still in the outbox, opened in memory and kept. */
export async function outboxPlain(src: OpeningSource, cid: string, row: OutboxRow, epochs: Map<number, EpochRow>, contacts: Map<string, ContactRow>): Promise<MessagePlaintext | undefined> {
  const key = `${cid}/out/${row.clientMessageId}`;
  const cached = src.keyring.plain.get(key);
  if (cached) return cached.plaintext;
  const resolve = await src.keyring.resolverFor(contacts, epochs.get(row.envelope.epoch)?.members);
  const opened = await openMessage(row.envelope, { conversationId: cid, epochs, resolveIdentity: resolve });
  if (!opened.ok) return undefined;
  src.keyring.plain.set(key, { plaintext: opened.plaintext, sender: src.me });
  return opened.plaintext;
}

/**
 * What the list and a notification say for a message: its text, or for a file sent without
 * one, what it is and its name (an empty preview read as "You:" and nothing, session 8).
 */
export function previewText(plaintext: MessagePlaintext, body: string): string {
  const file = plaintext.attachment;
  if (body !== '' || !file) return body;
  return `${file.type.startsWith('image/') ? 'Photo' : 'File'}: ${file.name}`;
}

/** The last text of a conversation, decrypted in memory, as edited or deleted since (EVT6). */
export async function previewOf(src: OpeningSource, conversationId: string): Promise<string | null> {
  const contacts = await contactMap(src.db);
  const epochs = new Map((await getEpochs(src.db, conversationId)).map((e) => [e.epoch, e]));
  const outbox = (await outboxFor(src.db, conversationId)).filter((r) => r.kind !== 'receipt' && r.status !== 'rejected');
  const lastOut = [...outbox].reverse().find((r) => r.kind === 'text');
  const rows = await lastEntries(src.db, conversationId, 20);
  // EVT6: the events after the last text are among these rows or in the outbox.
  const fold: FoldItem[] = [];
  let last: { row: LogRow; p: Plain } | undefined;
  for (const row of rows) {
    if (row.kind !== 'message' || !row.check.ok || !row.check.hash || (row.check.kind !== 'text' && !EVENT_KINDS.has(row.check.kind))) continue;
    if (row.check.kind === 'read') continue;
    const p = await plainOf(src, conversationId, row, contacts, epochs);
    if (!p) continue;
    fold.push(foldItem(row.body as Envelope, row.check.hash, p.plaintext));
    if (!last && row.check.kind === 'text' && !(lastOut && lastOut.composedAt > (row.check.composedAt ?? 0))) last = { row, p };
  }
  for (const out of outbox) {
    const p = await outboxPlain(src, conversationId, out, epochs, contacts);
    if (p) fold.push(foldItem(out.envelope, await envelopeHash(out.envelope), p));
  }
  const folded = fold.length ? foldEvents(fold, { showReads: false }) : new Map<string, FoldedMessage>();
  const shown = (hash: string, plaintext: MessagePlaintext) => {
    const f = folded.get(hash);
    return f?.deleted ? 'This message was deleted' : previewText(plaintext, f?.body ?? plaintext.body);
  };
  // In a group, whose message it is: the list showed "hello" from anyone, and a group's
  // request did not say who wrote (session 9). One-to-one, the title says it.
  const group = [...epochs.values()].some((e) => e.record.admins !== undefined);
  if (last) return `${last.p.sender === src.me ? 'You: ' : group ? `${last.p.sender}: ` : ''}${shown(last.row.check.hash!, last.p.plaintext)}`;
  if (lastOut) {
    const p = await outboxPlain(src, conversationId, lastOut, epochs, contacts);
    if (p) return `You: ${shown(await envelopeHash(lastOut.envelope), p)}`;
  }
  return null;
}
