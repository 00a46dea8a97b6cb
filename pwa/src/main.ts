import { Workbox } from 'workbox-window';
import './components/mh-app.ts';

// Register the service worker with prompt-for-update (THREATS W1): a new version waits
// until the user accepts it, then SKIP_WAITING and one reload; never a silent takeover.
if ('serviceWorker' in navigator && location.protocol !== 'file:') {
  const wb = new Workbox('/sw.js', { scope: '/', type: 'classic' });
  const app = document.querySelector('mh-app');
  wb.addEventListener('waiting', () => {
    app?.setUpdate(() => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    });
  });
  void wb.register().catch(() => undefined);
}
