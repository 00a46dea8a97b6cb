// The lazy chunk of attachments (lazy-screens.ts): the attach button, a message's file, and
// through them the attachment code (services/attachments.ts).
import './mh-attach.ts';
import './mh-attachment.ts';
// A message's reactions and actions (protocol §8a): loaded with the attach button, which every conversation shows.
import './mh-message-actions.ts';
