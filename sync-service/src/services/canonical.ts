import { createHash } from 'node:crypto';
import { ProtocolError } from '../../../protocol/src/encoding.ts';
import { parseEnvelope, parseEpochRecord } from '../../../protocol/src/wire-records.ts';
import type { Envelope } from '../../../protocol/src/envelope.ts';
import type { EpochRecord } from '../../../protocol/src/epoch.ts';
import { InvalidError, TooLargeError } from './errors.ts';

/**
 * A body as stored: protocol's parsers return a fresh object with a fixed key
 * order, so its JSON text is canonical and its SHA-256 tells "the same bytes again"
 * (an idempotent retry) from "other content under the same id" (a conflict).
 */
export interface Canonical<T> {
  value: T;
  text: string;
  hash: Buffer;
}

function canonical<T>(value: T): Canonical<T> {
  const text = JSON.stringify(value);
  return { value, text, hash: createHash('sha256').update(text, 'utf8').digest() };
}

/**
 * One pass over an envelope: protocol's strict parser (400), then the size cap (413) on the
 * canonical text it yields, which is the text stored and hashed. The parser accepts only
 * the envelope's own keys with bounded fields, so the canonical text has the size of the
 * JSON the client sent (the same keys and values, in another order). An envelope whose
 * ciphertext alone is over the cap is refused before it is decoded.
 */
export function checkEnvelope(json: unknown, maxBytes: number): Canonical<Envelope> {
  const tooLarge = () => new TooLargeError('envelope_too_large', `an envelope may be at most ${maxBytes} bytes of JSON`);
  const content = (json as { encryptedContent?: unknown } | null)?.encryptedContent;
  if (typeof content === 'string' && content.length > maxBytes) throw tooLarge();
  let value: Envelope;
  try {
    value = parseEnvelope(json);
  } catch (error) {
    if (error instanceof ProtocolError) throw new InvalidError('invalid_envelope', error.message);
    throw error;
  }
  const c = canonical(value);
  // Every character of the text is ASCII (ids, base64url, digits) but keep the byte count exact.
  if (c.text.length > maxBytes || Buffer.byteLength(c.text, 'utf8') > maxBytes) throw tooLarge();
  return c;
}

export function checkEpochRecord(json: unknown, maxBytes: number): Canonical<EpochRecord> {
  if (Buffer.byteLength(JSON.stringify(json) ?? '', 'utf8') > maxBytes) {
    throw new TooLargeError('envelope_too_large', `an epoch record may be at most ${maxBytes} bytes of JSON`);
  }
  try {
    return canonical(parseEpochRecord(json));
  } catch (error) {
    if (error instanceof ProtocolError) throw new InvalidError('invalid_epoch_record', error.message);
    throw error;
  }
}
