// The conversation screen (lazy-screens.ts): the first paint is the list, and on a phone the
// list alone. mh-app starts loading this chunk once the list is on screen, so opening a
// conversation does not wait for it (the service worker serves it from its cache).
import './mh-conversation.ts';
