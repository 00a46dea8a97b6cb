// The lazy chunk of the screens a signed-in user opens from the list or a conversation
// (lazy-screens.ts): one chunk rather than one each, since Lit components compress much
// better together (a chunk of its own costs ~0.8 KB gzip more than the same code here).
import './mh-settings.ts';
import './mh-contact.ts';
import './mh-members.ts';
import './mh-keyfile-reminder.ts';
import './mh-update-banner.ts';
import './mh-new-group.ts';
import './mh-search-results.ts';
import './mh-lost-device.ts';
