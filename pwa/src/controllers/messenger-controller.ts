import { ContextConsumer } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { messengerContext } from '../context.ts';
import type { Messenger } from '../services/messenger.ts';

/** Gives an element the messenger from context and re-renders it on every change. */
export class MessengerController implements ReactiveController {
  private readonly host: ReactiveControllerHost & HTMLElement;
  private readonly onChange: () => void;
  value: Messenger | undefined;

  constructor(host: ReactiveControllerHost & HTMLElement, onChange?: () => void) {
    this.host = host;
    this.onChange = () => {
      onChange?.();
      host.requestUpdate();
    };
    host.addController(this);
    new ContextConsumer(host, {
      context: messengerContext,
      subscribe: true,
      callback: (m) => {
        this.value?.removeEventListener('change', this.onChange);
        this.value = m;
        m.addEventListener('change', this.onChange);
        this.onChange();
      },
    });
  }

  hostConnected(): void {
    this.value?.addEventListener('change', this.onChange);
  }

  hostDisconnected(): void {
    this.value?.removeEventListener('change', this.onChange);
  }
}
