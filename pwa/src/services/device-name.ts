// A name for this device in the account's list of devices ("Chrome on Linux"), computed on
// the device from what the browser says about itself. It only helps the owner tell their
// devices apart: it proves nothing, and nothing trusts it.

const FALLBACK = 'MessageHub on the web';

/** From User-Agent Client Hints when the browser offers them, else from the user agent string. */
export function deviceNameFrom(userAgent: string | undefined, hints?: { platform?: string; brands?: { brand: string }[] }): string {
  const ua = userAgent ?? '';
  const browser = browserOf(ua, hints?.brands);
  const platform = platformOf(ua, hints?.platform);
  if (!browser && !platform) return FALLBACK;
  const name = browser && platform ? `${browser} on ${platform}` : browser ? `${browser} on the web` : `A browser on ${platform}`;
  // API.md: deviceName is 1-64 characters.
  return name.slice(0, 64);
}

function browserOf(ua: string, brands?: { brand: string }[]): string | null {
  const known = ['Microsoft Edge', 'Opera', 'Brave', 'Google Chrome', 'Chromium'];
  for (const k of known) if (brands?.some((b) => b.brand === k)) return k === 'Google Chrome' ? 'Chrome' : k === 'Microsoft Edge' ? 'Edge' : k;
  if (/Edg(e|A|iOS)?\//.test(ua)) return 'Edge';
  if (/OPR\/|Opera/.test(ua)) return 'Opera';
  if (/SamsungBrowser\//.test(ua)) return 'Samsung Internet';
  if (/Firefox\/|FxiOS\//.test(ua)) return 'Firefox';
  if (/CriOS\//.test(ua)) return 'Chrome';
  if (/HeadlessChrome\//.test(ua)) return 'Chrome';
  if (/Chrome\//.test(ua)) return 'Chrome';
  if (/Safari\//.test(ua) && /Version\//.test(ua)) return 'Safari';
  return null;
}

function platformOf(ua: string, platform?: string): string | null {
  const hinted = platform?.trim();
  if (hinted && hinted !== 'Unknown') return hinted === 'macOS' ? 'Mac' : hinted;
  if (/iPhone/.test(ua)) return 'iPhone';
  if (/iPad/.test(ua)) return 'iPad';
  if (/Android/.test(ua)) return 'Android';
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Windows/.test(ua)) return 'Windows';
  if (/Mac OS X|Macintosh/.test(ua)) return 'Mac';
  if (/Linux/.test(ua)) return 'Linux';
  return null;
}

/** This browser's name for itself, read once when the app starts (no DOM needed in Node). */
export function thisDeviceName(): string {
  const nav = globalThis.navigator as (Navigator & { userAgentData?: { platform?: string; brands?: { brand: string }[] } }) | undefined;
  return deviceNameFrom(nav?.userAgent, nav?.userAgentData);
}
