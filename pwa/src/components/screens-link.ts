// The lazy chunk of linking a device by code (lazy-screens.ts): the new device's screen and
// the signed-in device's form, shown rarely, so kept out of the welcome and settings chunks.
import './mh-link-new.ts';
import './mh-link-existing.ts';
