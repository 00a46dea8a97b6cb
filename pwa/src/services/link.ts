// Linking a device from another device (protocol LINK1..LINK6), both ends. The new device
// (LinkReceiver) opens a slot, shows the code and waits for the handover; the existing one
// (sendLink) checks the slot's key against the typed code and seals the handover to it.
// Loaded only by the two link screens (a dynamic import): not in the start chunk.
import {
  LINK_QR_PREFIX, LinkError, fingerprint, parsePublicIdentity, linkLocator, makeLinkCode, newLinkKey, normalizeLinkCode, openHandover, sealHandover,
  type LinkHandover, type SealedHandover,
} from '../../../protocol/src/index.ts';
import { ApiError } from './api.ts';

/** The relay routes (API.md, "Linking a device"); Api implements them. */
export interface LinkApi {
  createLink(publicKey: string): Promise<{ locator: string; token: string; expiresAt: string }>;
  lookupLink(locator: string): Promise<{ locator: string; publicKey: string; expiresAt: string }>;
  putLinkHandover(locator: string, handover: SealedHandover): Promise<void>;
  receiveLink(locator: string, token: string): Promise<{ status: 'waiting' | 'ready'; expiresAt: string; handover?: SealedHandover }>;
}

/** Why a link failed, as the screens word it (linkErrorText). */
export type LinkFailure =
  | 'malformed-code' | 'code-mismatch' | 'not-found' | 'expired' | 'used' | 'rate-limited' | 'no-key-file' | 'malformed'
  // as the new device sees them
  | 'expired-here' | 'refused-here';

export class LinkFailed extends Error {
  readonly reason: LinkFailure;
  constructor(reason: LinkFailure) {
    super(linkErrorText(reason));
    this.name = 'LinkFailed';
    this.reason = reason;
  }
}

/** Plain words for each failure. */
export function linkErrorText(reason: LinkFailure): string {
  switch (reason) {
    case 'malformed-code':
      return 'That is not a link code. A link code has 12 letters and digits, as shown on the new device.';
    case 'code-mismatch':
      return 'This code does not match the device waiting for it. Check the code on the new device and type it again; if it keeps failing, start again on the new device.';
    case 'not-found':
      return 'No device is waiting with this code. Check the code, or start again on the new device.';
    case 'expired':
      return 'This code has expired. Start again on the new device to get a new code.';
    case 'used':
      return 'This code was already used. Start again on the new device to get a new code.';
    case 'rate-limited':
      return 'Too many tries in a short time. Wait a minute, then try again.';
    case 'no-key-file':
      return 'This device does not keep your key file. Choose your key file below, then link again.';
    case 'malformed':
      return 'What arrived could not be read. Start again on the new device.';
    case 'expired-here':
      return 'This code has expired. Get a new code and type it on your other device within 10 minutes.';
    case 'refused-here':
      return 'What your other device sent could not be opened with this code: it may have been changed on the way. Get a new code and try again.';
  }
}

/** A relay or protocol error as a LinkFailed (anything else is passed on). */
function asFailure(e: unknown): unknown {
  if (e instanceof LinkError) return new LinkFailed(e.code);
  if (e instanceof ApiError) {
    const byCode: Record<string, LinkFailure> = {
      link_not_found: 'not-found', link_expired: 'expired', link_used: 'used', rate_limited: 'rate-limited',
    };
    if (byCode[e.code]) return new LinkFailed(byCode[e.code]!);
  }
  return e;
}

/**
 * The new device's side: an ephemeral key (LINK2), a slot, and the code to show. `poll`
 * answers null while waiting and the opened handover once; after one handover, opened or
 * not, the key is dropped (LINK5): a failed link starts again with `LinkReceiver.start`.
 */
export class LinkReceiver {
  private key: Awaited<ReturnType<typeof newLinkKey>> | null;

  private constructor(
    private readonly api: LinkApi,
    key: Awaited<ReturnType<typeof newLinkKey>>,
    readonly code: string,
    private readonly token: string,
    readonly expiresAt: number,
  ) {
    this.key = key;
  }

  static async start(api: LinkApi): Promise<LinkReceiver> {
    const key = await newLinkKey();
    const slot = await api.createLink(key.publicKey).catch((e: unknown) => {
      throw asFailure(e);
    });
    const code = await makeLinkCode(slot.locator, key.publicKey);
    return new LinkReceiver(api, key, code, slot.token, Date.parse(slot.expiresAt));
  }

  /** What a QR code of this code holds (LINK1). */
  get qrPayload(): string {
    return LINK_QR_PREFIX + this.code;
  }

  /** LINK5: the handover once it arrived (then the key is gone), or null while waiting. */
  async poll(): Promise<LinkHandover | null> {
    const key = this.key;
    if (!key) throw new LinkFailed('used');
    let answer;
    try {
      answer = await this.api.receiveLink(this.code.slice(0, 4), this.token);
    } catch (e) {
      const f = asFailure(e);
      if (!(f instanceof LinkFailed)) throw f;
      this.key = null;
      throw f.reason === 'expired' || f.reason === 'not-found' ? new LinkFailed('expired-here') : f;
    }
    if (answer.status !== 'ready') return null;
    // One handover per code: whatever it holds, this key opens nothing else.
    this.key = null;
    try {
      return await openHandover(this.code, key, answer.handover);
    } catch (e) {
      const f = asFailure(e);
      throw f instanceof LinkFailed ? new LinkFailed(f.reason === 'code-mismatch' ? 'refused-here' : f.reason) : f;
    }
  }
}

/**
 * LINK4: the first of `candidates` (sealed key files) whose public identity is the
 * account's current key (fingerprint `current`), or null: a key file kept from before a
 * rotation is never handed over.
 */
export async function currentKeyFile(current: string, candidates: readonly (string | null | undefined)[]): Promise<string | null> {
  for (const text of candidates) {
    try {
      if (text && (await fingerprint(parsePublicIdentity((JSON.parse(text) as { public: unknown }).public))) === current) return text;
    } catch {
      // not a key file: the next one
    }
  }
  return null;
}

/**
 * The existing device's side: read the slot the code names, check its key against the code
 * (LINK2; nothing is sent if it does not match), seal the handover to it (LINK3), leave it.
 */
export async function sendLink(api: LinkApi, codeIn: string, handover: LinkHandover): Promise<void> {
  try {
    const code = normalizeLinkCode(codeIn);
    const slot = await api.lookupLink(linkLocator(code));
    const sealed = await sealHandover(code, slot.publicKey, handover);
    await api.putLinkHandover(linkLocator(code), sealed);
  } catch (e) {
    throw asFailure(e);
  }
}
