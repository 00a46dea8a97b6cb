// What the built PWA ships, gzip -9 per file as served, and the budgets it is held to
// (issue 18): the JavaScript test (e2e/budget/js-budget.test.ts) and the client bench
// (bench/client.bench.ts) both read dist/pwa through this file.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The start chunk: index.html's scripts and what they import statically. The goal (issue 18). */
export const START_BUDGET_KB = 35;
/**
 * What the test enforces for the start chunk today. The goal was met (34.0 KB) before
 * devices, groups, attachments, drafts and the router landed in the same session and
 * brought it to 43.2 KB; this ceiling stops it growing while the goal is won back.
 * Lowered as cuts land (session 5, each measured A/B on a build): Vite's preload helper
 * replaced by a plain import() (vite.config.ts) −0.6 (43.9 → 43.3); the words for warnings,
 * timeline events and key changes, which only lazy screens show, out of warnings.ts into
 * warning-texts.ts −1.4 (→ 41.9); Lit templates and their CSS minified at build time
 * (@lit-labs/rollup-plugin-minify-html-literals) −0.3 (→ 41.6); the start chunk as one
 * chunk (a `$initial` group in vite.config.ts, instead of index + wire + purpose + rules)
 * −1.1 (→ 40.5); one conversation's messages and events built in timeline.ts (online
 * chunk) instead of views.ts −1.2 (→ 39.3); the group-change check (GRP4..GRP6) out of
 * protocol/src/group.ts into group-change.ts, which only the online code uses, −0.3 (→ 39.0);
 * making device keys, certificates and revocations out of protocol/src/device.ts into
 * device-issue.ts −0.3 (→ 38.7).
 * Then raised to 40: on main 39.0 after merging typing indicators, the epoch key archive and
 * the new-passphrase element, and 39.7 after the restore that streams (its controller in
 * Messenger: hidden conversations, progress, continuing after a reload; +0.7 on its
 * branch). That controller then moved into restore-flow.ts, loaded with the restore code:
 * −0.3 (→ 39.4; the total +0.2).
 * Session 6, each measured A/B on a build: opening stored messages (plaintexts, the list's
 * previews) out of views.ts into message-opening.ts, in the online chunk, −3.3 (→ 36.1);
 * the signed records' decoders out of protocol/src/wire.ts into wire-records.ts −1.5
 * (→ 34.6): the goal (35) is met again; MAX_READ_REFS in rules.ts, not event-fields.ts
 * −0.4 (→ 34.2); importIdentityKeys into identity-keyfile.ts −0.2 (→ 34.0).
 * Session 8: a malformed user name refused on the device names the one at fault, among
 * several (blockText, warnings.ts) +0.1 (→ 34.1; 34,906 bytes).
 * Session 9: one tab at a time runs the device (Messenger.holdTheDevice, Web Locks; the notice
 * and "Use it here" in mh-app.ts), since two tabs of one device sending at once showed false
 * replay and "history was altered" warnings (FINDINGS F18); and drafts written latest-first, so a tab
 * taken over keeps what was typed: +322 bytes (34,925 → 35,247; → 34.4, the goal 35 still met).
 */
export const START_CEILING_KB = 34.4;
/** Every JavaScript file, the service worker included, apart from the exclusions below. The goal. */
export const TOTAL_GOAL_KB = 60;
/**
 * What the test enforces for the total today: the goal is not met (BENCHMARKS.md says
 * where the bytes are), so this ceiling stops unexplained growth; lower it as cuts land.
 * Raised once, from 93, for the features of session 4, each measured on its branch (gzip,
 * every chunk counted): linking a device by code +5.1 KB, conversation events (receipts,
 * replies, reactions, edit, delete) +4.1, notifications and Web Push +2.6, search +2.9,
 * display names and identicons +2.1, pin and archive +0.5, "I lost this device" +3.4, the
 * restore changes +0.4; on main after the merges 115.2.
 * Lowered as cuts land (session 5, each measured A/B on a build): Vite's preload helper
 * replaced by a plain import() −0.6 (115.2 → 114.6); warning-texts.ts, a chunk of its own
 * (shared by three lazy screens), +0.4 (→ 115.0); Lit templates and their CSS minified at
 * build time −1.2 (→ 113.8); the start chunk as one chunk −1.3 (→ 112.5); two groups of
 * small lazy modules in one chunk each (key file + linking; names + search + restore) −0.9
 * (→ 111.6); timeline.ts out of the start chunk +0.1 (→ 111.7); device-issue.ts out of
 * the start chunk +0.1 (→ 111.8).
 * Raised again for the session-5 features merged after those cuts, each measured on its
 * branch: typing indicators +3.3 KB (conversation screen +2.9), the epoch key archive and
 * contacts' device notices +1.9 (online chunk); on main after the merges, with the shared
 * new-passphrase element, 117.3; the restore that streams +1.9 (measured on its branch):
 * 119.1; the restore flow out of the start chunk +0.2 (→ 119.3).
 * Session 6: message-opening.ts in the online chunk, which also takes the attachment code
 * and the protocol modules it shares with lazy screens (vite.config.ts), −0.4 (→ 118.9);
 * wire-records.ts −0.3 (→ 118.6); MAX_READ_REFS in rules.ts −0.1 (→ 118.5).
 * Session 7, raised: the crypto workers (protocol/src/message-crypto.ts's pool in the online
 * chunk +1.3, the worker's own file +0.5) → 120.3. They take a 10,000-message restore's
 * signature checks and decryptions off the main thread: its CPU there 2.84 → 1.93 s, the
 * whole history 3.54 → 3.24 s (BENCHMARKS.md, session 7). "Link a new device" shown only
 * once the device list is in (it used to be pushed down under a tap) +0.1 (→ 120.4).
 * Lowered: the eight lazy-screen chunks as two (vite.config.ts: `welcome`, what a first
 * visit needs, and `screens`, the rest) −2.9 (→ 117.5). All lazy screens in one chunk
 * measured 115.5, but a first visit would then download every screen before the sign-up form.
 * The service worker's build told that protocol/ is pure, as the app's build is: it no longer
 * ships the protocol's unused limits and base64 tables, −0.6 (sw.js 10.6 → 10.0; → 116.9).
 * The crypto pool's stall watchdog and its batches packed in one transferred buffer +0.2
 * (→ 117.1; the packing: protocol-alone restore 1.71 → 1.65 s, medians of 4).
 * Session 8, raised: a file sent without text previewed as "Photo: name" / "File: name" in
 * the list and notifications (it read "You:" and nothing), and user names refused on the
 * device in plain words (the service's 400 read "could not accept that"): +0.2 (→ 117.3).
 * A long display name cut with "…" in the list and the header, never the user id beside it
 * (THREATS L10: the list cut "@ada" off with the name) +0.1 (→ 117.4).
 * A restore refused by the server says why: no such account here, or keys replaced since
 * the key file was saved (it said "no one with that user name" or "try again later") +0.1 (→ 117.5).
 * The malformed user name named in the refusal +0.1 (→ 117.6).
 * Session 9: a group's list preview names who wrote the last message, and adding someone
 * already in a group says so (the field emptied and nothing happened) +0.1 (→ 117.7).
 * A user name typed as the screens show it, "@bea", is taken for bea (it was refused as "not a
 * user name"), +31 bytes, past the rounding (→ 117.8).
 * One tab at a time runs the device, and drafts written latest-first (the start chunk's note
 * above) +319 bytes (→ 118.1).
 */
export const TOTAL_CEILING_KB = 118.1;

/** hash-wasm's Argon2id is its argon2 module plus the BLAKE2b module it hashes with (inlined base64). */
export const ARGON2_WASM = ['argon2', 'blake2b'];
/**
 * Password-strength dictionaries, loaded only on the passphrase screens: vite.config.ts puts
 * them in chunks of this name and keeps them out of the precache. Not counted, if not precached.
 */
export const DICTIONARY_CHUNK = /(^|\/)strength-dictionaries[-.][^/]*\.js$/;

const WASM_DATA = /name:\s*[`'"]([a-z0-9_]+)[`'"]\s*,\s*data:\s*[`'"](AGFzbQ[A-Za-z0-9+/=]+)[`'"]/g;

const gz = (s: string | Buffer): number => gzipSync(s, { level: 9 }).length;

export interface JsFile {
  file: string;
  raw: number;
  gzip: number;
  /** gzip with the Argon2 WebAssembly (base64) taken out */
  gzipWithoutArgon2: number;
  wasm: { name: string; base64: number; gzip: number }[];
  /** loaded at start: index.html's scripts and their static imports */
  initial: boolean;
  /** a password-strength dictionary chunk (not counted when not precached) */
  dictionary: boolean;
  /** listed in the service worker's precache manifest */
  precached: boolean;
}

/** These files and every file they import statically (`import"./x.js"`, `from"./x.js"`; not import("./x.js")): what loading them waits for. */
export function staticClosure(dist: string, files: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...files];
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f) || !existsSync(path.join(dist, f))) continue;
    seen.add(f);
    const text = readFileSync(path.join(dist, f), 'utf8');
    for (const m of text.matchAll(/(?:\bimport|\bfrom)\s*["'`](\.\/[^"'`]+\.js)["'`]/g)) queue.push(path.posix.join(path.posix.dirname(f), m[1]!));
  }
  return seen;
}

/** Every .js under dist/pwa, measured. */
export function measureBundle(dist: string): JsFile[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') || e.name.endsWith('.mjs')) files.push(path.relative(dist, p).split(path.sep).join('/'));
    }
  };
  walk(dist);
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const sw = existsSync(path.join(dist, 'sw.js')) ? readFileSync(path.join(dist, 'sw.js'), 'utf8') : '';
  const initial = staticClosure(dist, [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/?([^"]+\.js)"/g)].map((m) => m[1]!));
  return files.sort().map((file) => {
    const text = readFileSync(path.join(dist, file), 'utf8');
    const wasm = [...text.matchAll(WASM_DATA)].map((m) => ({ name: m[1]!, base64: m[2]!.length, gzip: gz(m[2]!) }));
    const stripped = text.replace(WASM_DATA, (all, name: string, data: string) => (ARGON2_WASM.includes(name) ? all.replace(data, '') : all));
    return {
      file, raw: Buffer.byteLength(text), gzip: gz(text), gzipWithoutArgon2: gz(stripped), wasm,
      initial: initial.has(file), dictionary: DICTIONARY_CHUNK.test(file), precached: sw.includes(`"${file}"`) || sw.includes(`'${file}'`),
    };
  });
}

export interface BudgetReport {
  files: JsFile[];
  /** KB gzip, the start chunk(s) */
  startKb: number;
  /** KB gzip, every file counted: without the Argon2 WebAssembly, without dictionaries that are not precached */
  totalKb: number;
  /** one line per file, for messages */
  lines: string[];
}

const kb = (n: number): number => Math.round((n / 1024) * 10) / 10;

export function budgetReport(dist: string): BudgetReport {
  const files = measureBundle(dist);
  const counted = files.filter((f) => !(f.dictionary && !f.precached));
  return {
    files,
    startKb: kb(files.filter((f) => f.initial).reduce((s, f) => s + f.gzipWithoutArgon2, 0)),
    totalKb: kb(counted.reduce((s, f) => s + f.gzipWithoutArgon2, 0)),
    lines: files.map((f) => `${f.file}${f.initial ? ' (start)' : ''}${f.dictionary ? ` (dictionary${f.precached ? ', precached' : ''})` : ''}: ${kb(f.gzipWithoutArgon2)} KB gzip${f.gzip !== f.gzipWithoutArgon2 ? ` (${kb(f.gzip)} KB with Argon2)` : ''}`),
  };
}
