import { createContext } from '@lit/context';
import type { Messenger } from './services/messenger.ts';

/** The signed-in device's messenger, provided by <mh-app>. */
export const messengerContext = createContext<Messenger>(Symbol('messenger'));
