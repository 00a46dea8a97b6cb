// The lazy chunk of the screens shown before there is an account on this device
// (lazy-screens.ts): one chunk, since they are shown together and compress better so.
import './mh-onboarding.ts';
import './mh-restore.ts';
