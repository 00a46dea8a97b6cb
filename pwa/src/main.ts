import './components/mh-app.ts';

// Register the service worker with prompt-for-update (THREATS W1): a new version waits
// until the user accepts it, then SKIP_WAITING and one reload; never a silent takeover.
// Registered once the page has loaded (an installed worker already serves this page), with
// the platform's API: what workbox-window did here is these few lines, and 2 KB less to ship.
if ('serviceWorker' in navigator && location.protocol !== 'file:') {
  const sw = navigator.serviceWorker;
  /** A worker waiting behind the one in control is a new version: offer it, never force it. */
  const offer = (reg: ServiceWorkerRegistration): void => {
    const waiting = reg.waiting;
    if (!waiting || !sw.controller) return;
    document.querySelector('mh-app')?.setUpdate(() => {
      sw.addEventListener('controllerchange', () => location.reload(), { once: true });
      waiting.postMessage({ type: 'SKIP_WAITING' });
    });
  };
  addEventListener(
    'load',
    () => {
      sw.register('/sw.js', { scope: '/' }).then((reg) => {
        offer(reg);
        reg.addEventListener('updatefound', () => {
          const installing = reg.installing;
          installing?.addEventListener('statechange', () => {
            if (installing.state === 'installed') offer(reg);
          });
        });
      }, () => undefined);
    },
    { once: true },
  );
}
