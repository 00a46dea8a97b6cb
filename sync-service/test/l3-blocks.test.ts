// THREATS L3 message requests, the service's part: a user blocks another, and the service
// refuses any new conversation (or epoch) by the blocked user that would put the blocker in
// it, with 403 conversation_refused and nothing more said. Blocks are listed and undone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../protocol/src/index.ts';
import { Conv, call, createConversation, login, register, startApp, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';

describe('L3 blocks', () => {
  let app: TestApp;
  let alice: Identity, bob: Identity, carol: Identity, mallory: Identity;
  let ta: string, tb: string, tm: string;

  beforeAll(async () => {
    app = await startApp();
    [alice, bob, carol, mallory] = await Promise.all([identity('alice'), identity('bob'), identity('carol'), identity('mallory')]);
    for (const id of [alice, bob, carol, mallory]) await register(app.server, id);
    [ta, tb, tm] = await Promise.all([alice, bob, mallory].map(async (id) => (await login(app.server, id)).token)) as [string, string, string];
  });
  afterAll(async () => app?.close());

  const create = async (token: string, creator: Identity, members: Identity[]) =>
    call(app.server, 'POST', '/api/v1/conversations', { token, payload: { epochRecord: await new Conv().makeEpoch(creator, members) } });

  it('L3 a blocked user cannot open a conversation that includes the blocker (403 conversation_refused), nor add them to one; others still can', async () => {
    expect((await create(tm, mallory, [mallory, alice])).status).toBe(201);
    const block = await call(app.server, 'POST', '/api/v1/blocks/mallory', { token: ta });
    expect(block.status).toBe(201);
    expect(block.json).toMatchObject({ userId: 'mallory' });
    expect((await call(app.server, 'POST', '/api/v1/blocks/mallory', { token: ta })).status).toBe(200);

    const refused = await create(tm, mallory, [mallory, alice]);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toEqual({ code: 'conversation_refused', message: 'a member does not accept new conversations from you' });
    // A group naming the blocker among others is refused too, without saying who refused.
    const group = await create(tm, mallory, [mallory, bob, alice]);
    expect(group.status).toBe(403);
    expect(JSON.stringify(group.json)).not.toContain('alice');
    // Adding the blocker to an existing conversation is opening one with them.
    const solo = await createConversation(app.server, tm, mallory, [mallory, bob]);
    const add = await call(app.server, 'POST', `/api/v1/conversations/${solo.id}/epochs`, { token: tm, payload: { epochRecord: await solo.makeEpoch(mallory, [mallory, bob, alice]) } });
    expect(add.status).toBe(403);
    expect(add.json.error.code).toBe('conversation_refused');
    // Mallory can still talk to others; others can still open conversations with alice; alice with mallory.
    expect((await create(tm, mallory, [mallory, bob])).status).toBe(201);
    expect((await create(tb, bob, [bob, alice])).status).toBe(201);
    expect((await create(ta, alice, [alice, mallory])).status).toBe(201);
  });

  it('L3 blocks are listed in pages and undone; unknown users and oneself are refused by name', async () => {
    expect((await call(app.server, 'POST', '/api/v1/blocks/carol', { token: tb })).status).toBe(201);
    expect((await call(app.server, 'POST', '/api/v1/blocks/mallory', { token: tb })).status).toBe(201);
    const list = await call(app.server, 'GET', '/api/v1/blocks', { token: tb });
    expect(list.status).toBe(200);
    expect(list.json.blocks.map((b: { userId: string }) => b.userId)).toEqual(['carol', 'mallory']);
    expect(list.json.nextAfter).toBeNull();
    const page = await call(app.server, 'GET', '/api/v1/blocks?limit=1', { token: tb });
    expect(page.json).toMatchObject({ blocks: [{ userId: 'carol' }], nextAfter: 'carol' });
    const rest = await call(app.server, 'GET', '/api/v1/blocks?limit=1&after=carol', { token: tb });
    expect(rest.json.blocks.map((b: { userId: string }) => b.userId)).toEqual(['mallory']);

    expect((await call(app.server, 'DELETE', '/api/v1/blocks/carol', { token: tb })).status).toBe(204);
    expect((await call(app.server, 'DELETE', '/api/v1/blocks/carol', { token: tb })).status).toBe(204);
    expect((await call(app.server, 'GET', '/api/v1/blocks', { token: tb })).json.blocks.map((b: { userId: string }) => b.userId)).toEqual(['mallory']);

    const nobody = await call(app.server, 'POST', '/api/v1/blocks/nobody-here', { token: tb });
    expect([nobody.status, nobody.json.error.code]).toEqual([404, 'unknown_user']);
    const self = await call(app.server, 'POST', '/api/v1/blocks/bob', { token: tb });
    expect([self.status, self.json.error.code]).toEqual([400, 'cannot_block_self']);
    expect((await call(app.server, 'GET', '/api/v1/blocks')).status).toBe(401);
  });

  it('L3 unblocking lets the user open conversations again', async () => {
    const carolToken = (await login(app.server, carol)).token;
    expect((await call(app.server, 'POST', '/api/v1/blocks/carol', { token: ta })).status).toBe(201);
    expect((await create(carolToken, carol, [carol, alice])).status).toBe(403);
    expect((await call(app.server, 'DELETE', '/api/v1/blocks/carol', { token: ta })).status).toBe(204);
    expect((await create(carolToken, carol, [carol, alice])).status).toBe(201);
  });
});
