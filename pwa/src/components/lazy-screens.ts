// Screens the first paint does not need, imported through screens-*.ts, loaded the first
// time one of them is shown (the service worker precaches every chunk, so this works
// offline too). The build puts them in two chunks (vite.config.ts: `welcome` for a first
// visit, `screens` for the rest). The
// start chunk keeps the shell and the conversation list; the conversation itself is loaded
// as soon as the list is on screen (mh-app): see the JS budget in e2e/budget/js-budget.test.ts.
//
// To make a screen lazy: import it from a screens-*.ts chunk (or a new one), add its tag
// here, drop its static `import './mh-x.ts'`, and render
// `${lazy('mh-x')}<mh-x ...></mh-x>`. Properties set before the element is defined are kept:
// Lit re-applies them when the element upgrades.
import { nothing } from 'lit';

const screens = {
  'mh-conversation': () => import('./screens-conversation.ts'),
  'mh-onboarding': () => import('./screens-welcome.ts'),
  'mh-restore': () => import('./screens-welcome.ts'),
  // on the list while a restore streams in, then its summary (issue 18)
  'mh-restore-status': () => import('./screens-welcome.ts'),
  // mh-settings brings mh-devices and mh-keyfile-export, mh-contact brings mh-qr (whose QR
  // library is a further lazy chunk).
  'mh-settings': () => import('./screens-more.ts'),
  'mh-contact': () => import('./screens-more.ts'),
  'mh-members': () => import('./screens-more.ts'),
  'mh-new-group': () => import('./screens-more.ts'),
  // files in a conversation: the attach button and a message's file (and the attachment code)
  'mh-attach': () => import('./screens-attachments.ts'),
  'mh-attachment': () => import('./screens-attachments.ts'),
  // a message's reactions and actions (reply, react, edit, delete), in the same chunk
  'mh-message-actions': () => import('./screens-attachments.ts'),
  // shown on the list only while no key file was saved
  'mh-keyfile-reminder': () => import('./screens-more.ts'),
  // on-device search results, once something is typed in the list's search box
  'mh-search-results': () => import('./screens-more.ts'),
  // "I lost a device" (LOST2), from a row of the devices list
  'mh-lost-device': () => import('./screens-more.ts'),
  // shown only when a new version of the app waits (THREATS W1)
  'mh-update-banner': () => import('./screens-more.ts'),
} satisfies Record<string, () => Promise<unknown>>;

export type LazyTag = keyof typeof screens;

const loading = new Map<LazyTag, Promise<void>>();

/** Load a lazy screen's module (once); a failed load is tried again on the next call. */
export function loadScreen(tag: LazyTag): Promise<void> {
  let p = loading.get(tag);
  if (!p) {
    p = screens[tag]().then(
      () => undefined,
      (e: unknown) => {
        loading.delete(tag);
        throw e;
      },
    );
    loading.set(tag, p);
  }
  return p;
}

/** In a template, before the lazy tag: starts loading its module and renders nothing. */
export function lazy(tag: LazyTag): typeof nothing {
  if (!customElements.get(tag)) loadScreen(tag).catch((e: unknown) => console.error(`could not load ${tag}`, e));
  return nothing;
}
