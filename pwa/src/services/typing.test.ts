// Typing indicators through the client's real services (protocol SPEC §8c): alice and bob
// each have a Device (keys, epochs, pinned contacts); their typing services are joined by an
// in-memory "socket" that hands each sealed signal to the other side, flushed by hand. The
// clock is a variable: expiry is checked by moving it, never by waiting.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { TYPING_LIMITS } from '../../../protocol/src/typing.ts';
import { aliceAndBobTalking, type TestDevice } from '../../test/support/fake-service.ts';
import { Typing, devicePort } from './typing.ts';

async function talking() {
  const { alice, bob, id } = await aliceAndBobTalking();
  let now = 1_800_000_000_000;
  /** Frames on the wire, per receiver: [conversationId, sealed]. */
  const wire = { alice: [] as [string, string][], bob: [] as [string, string][] };
  const online = { alice: true, bob: true };
  const make = (d: TestDevice, me: 'alice' | 'bob', to: 'alice' | 'bob', enabled = true) => new Typing(
    devicePort({ device: d.device, db: d.db, me, send: (c, s) => { if (!online[me]) return false; wire[to].push([c, s]); return true; }, online: () => online[me] }),
    enabled,
    { now: () => now, timer: () => () => undefined },
  );
  const typing = { alice: make(alice, 'alice', 'bob'), bob: make(bob, 'bob', 'alice') };
  /** Everything sent so far arrives at the other side. */
  const relay = async () => {
    await typing.alice.flushed();
    await typing.bob.flushed();
    for (const who of ['alice', 'bob'] as const) {
      const frames = wire[who].splice(0);
      for (const [c, s] of frames) await typing[who].receive(c, s);
    }
  };
  return { id, typing, wire, online, relay, clock: { get now() { return now; }, set now(v) { now = v; } } };
}

describe('typing indicators (client)', () => {
  it('TYP8: alice typing shows at bob until a stop; start is sent at most once per resend interval; sending a message stops it', async () => {
    const { id, typing, wire, relay, clock } = await talking();
    typing.alice.input(id, 'h');
    typing.alice.input(id, 'he');
    typing.alice.input(id, 'hel');
    await typing.alice.flushed();
    expect(wire.bob).toHaveLength(1);
    await relay();
    expect(typing.bob.typers(id)).toEqual(['alice']);
    expect(typing.alice.typers(id)).toEqual([]);
    clock.now += TYPING_LIMITS.resendMs;
    typing.alice.input(id, 'hello');
    await relay();
    expect(typing.bob.accepted).toBe(2);
    // Sent: a stop, and the indicator is gone at once.
    typing.alice.stop(id);
    await relay();
    expect(typing.bob.typers(id)).toEqual([]);
    expect(typing.alice.sent).toBe(3);
  });

  it('TYP8: without a stop the indicator expires showMs after the last start; a message from the typist clears it; clearing the text sends a stop', async () => {
    const { id, typing, relay, clock } = await talking();
    typing.alice.input(id, 'x');
    await relay();
    clock.now += TYPING_LIMITS.showMs - 1;
    expect(typing.bob.typers(id)).toEqual(['alice']);
    clock.now += 1;
    expect(typing.bob.typers(id)).toEqual([]);
    // Again: a message composed after the start ends it.
    clock.now += TYPING_LIMITS.resendMs;
    typing.alice.input(id, 'y');
    await relay();
    expect(typing.bob.typers(id)).toEqual(['alice']);
    typing.bob.messageFrom(id, 'alice', clock.now - 10_000);
    expect(typing.bob.typers(id)).toEqual(['alice']);
    typing.bob.messageFrom(id, 'alice', clock.now);
    expect(typing.bob.typers(id)).toEqual([]);
    clock.now += TYPING_LIMITS.resendMs;
    typing.alice.input(id, 'z');
    await relay();
    expect(typing.bob.typers(id)).toEqual(['alice']);
    typing.alice.input(id, '');
    await relay();
    expect(typing.bob.typers(id)).toEqual([]);
  });

  it('TYP8: offline nothing is sealed or queued; the setting off sends nothing and shows nothing, both ways', async () => {
    const { id, typing, wire, online, relay, clock } = await talking();
    online.alice = false;
    typing.alice.input(id, 'x');
    await typing.alice.flushed();
    expect(wire.bob).toEqual([]);
    online.alice = true;
    await relay();
    expect(typing.bob.typers(id)).toEqual([]);
    // Bob turns it off: he sends none, and alice's are not shown to him.
    typing.bob.setEnabled(false);
    typing.bob.input(id, 'hi');
    await typing.bob.flushed();
    expect(wire.alice).toEqual([]);
    clock.now += TYPING_LIMITS.resendMs;
    typing.alice.input(id, 'hi');
    await relay();
    expect(typing.bob.typers(id)).toEqual([]);
    expect(typing.bob.sent).toBe(0);
    // On again: shown again.
    typing.bob.setEnabled(true);
    clock.now += TYPING_LIMITS.resendMs;
    typing.alice.input(id, 'hi!');
    await relay();
    expect(typing.bob.typers(id)).toEqual(['alice']);
  });

  it('TYP7, TYP8: a signal relayed twice by the server is refused the second time and shows nothing new', async () => {
    const { id, typing, wire, relay, clock } = await talking();
    typing.alice.input(id, 'x');
    await typing.alice.flushed();
    const [frame] = wire.bob;
    await relay();
    typing.alice.stop(id);
    await relay();
    expect(typing.bob.typers(id)).toEqual([]);
    clock.now += 1000;
    await typing.bob.receive(frame![0], frame![1]);
    expect(typing.bob.typers(id)).toEqual([]);
    expect(typing.bob.refused).toBe(1);
  });
});
