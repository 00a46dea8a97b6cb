// The lazy chunk of the screens shown before there is an account on this device
// (lazy-screens.ts): one chunk, since they are shown together and compress better so; and
// the list's line for a restore that streams, shown right after the restore screen.
import './mh-onboarding.ts';
import './mh-restore.ts';
import './mh-restore-status.ts';
