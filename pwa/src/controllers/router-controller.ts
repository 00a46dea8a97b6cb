// A URL per screen (issue 16, bug 6): the list at /, a conversation at /c/<id>, a contact's
// safety number at /contact/<userId> (?from=<conversationId>), settings at /settings, a new
// group at /new-group. Screens
// are entries in the browser's history, so back and forward move between them inside the
// app and a reload opens the same screen. The service answers every path with the app and
// the worker serves navigations from its cached index.html, so deep links work offline too.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type View =
  | { name: 'list' }
  | { name: 'conversation'; id: string; /** a message to scroll to (search), by log seq */ at?: number }
  | { name: 'contact'; userId: string; from: string | null }
  | { name: 'settings' }
  | { name: 'new-group' };

export function pathOf(v: View): string {
  switch (v.name) {
    case 'list': return '/';
    case 'conversation': return `/c/${encodeURIComponent(v.id)}${v.at ? `?at=${v.at}` : ''}`;
    case 'contact': return `/contact/${encodeURIComponent(v.userId)}${v.from ? `?from=${encodeURIComponent(v.from)}` : ''}`;
    case 'settings': return '/settings';
    case 'new-group': return '/new-group';
  }
}

/** The screen a URL names; anything unknown is the list. */
export function viewOf(url: URL): View {
  const parts = url.pathname.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
  if (parts[0] === 'c' && parts[1] && parts.length === 2) {
    const at = Number(url.searchParams.get('at'));
    return Number.isSafeInteger(at) && at > 0 ? { name: 'conversation', id: parts[1], at } : { name: 'conversation', id: parts[1] };
  }
  if (parts[0] === 'contact' && parts[1] && parts.length === 2) return { name: 'contact', userId: parts[1], from: url.searchParams.get('from') };
  if (parts[0] === 'settings' && parts.length === 1) return { name: 'settings' };
  if (parts[0] === 'new-group' && parts.length === 1) return { name: 'new-group' };
  return { name: 'list' };
}

const same = (a: View, b: View) => pathOf(a) === pathOf(b);

/** Owns the current screen for its host: reads it from the URL, pushes it on `go`, follows back and forward. */
export class RouterController implements ReactiveController {
  view: View;
  private readonly onChange: (v: View) => void;
  private readonly onPop = () => this.set(viewOf(new URL(location.href)));

  constructor(host: ReactiveControllerHost, onChange: (v: View) => void) {
    this.onChange = onChange;
    this.view = viewOf(new URL(location.href));
    host.addController(this);
  }

  hostConnected(): void {
    addEventListener('popstate', this.onPop);
    // Opened straight at a screen (a reload, a link): put the list beneath it, so back
    // goes to the list instead of leaving the app (an installed app would close).
    if (history.state === null && this.view.name !== 'list') {
      history.replaceState({ mh: true }, '', pathOf({ name: 'list' }));
      history.pushState({ mh: true }, '', pathOf(this.view));
    } else if (history.state === null) {
      history.replaceState({ mh: true }, '', location.href);
    }
    this.onChange(this.view);
  }

  hostDisconnected(): void {
    removeEventListener('popstate', this.onPop);
  }

  go(v: View): void {
    if (!same(v, this.view)) history.pushState({ mh: true }, '', pathOf(v));
    this.set(v);
  }

  private set(v: View): void {
    this.view = v;
    this.onChange(v);
  }
}
