/**
 * The chat journey of scenarios/llm-chat-flow.yaml as a script, for what steps cannot say:
 * a loop over follow-ups decided by the answer. Run with scenarios/llm-chat-script.yaml.
 */
import type { FlowContext } from 'coldbench';

interface Conversation {
  conversation: { id: string; title: string };
}

export default async function chat(ctx: FlowContext): Promise<void> {
  const token = await ctx.step('signin', async () => {
    const res = await ctx.http({ method: 'POST', path: '/api/signin', body: { user: ctx.vars.user, password: ctx.vars.password } });
    ctx.check(res.status === 200, `sign-in answered ${res.status}`);
    return res.json<{ token: string }>().token;
  });
  const auth = { authorization: `Bearer ${token}` };
  const id = await ctx.step('conversation', async () => {
    const res = await ctx.http({ method: 'POST', path: '/api/conversations', headers: auth });
    ctx.check(res.status === 201, `new conversation answered ${res.status}`);
    return res.json<Conversation>().conversation.id;
  });
  await ctx.think(200 + Math.random() * 400);
  let prompt = 'Explain cold starts';
  for (let turn = 0; turn < 2 && !ctx.signal.aborted; turn++) {
    const answer = await ctx.step(turn === 0 ? 'prompt' : 'follow-up', async () => {
      const res = await ctx.sse({ method: 'POST', path: `/api/conversations/${id}/messages?tokens=10&interval=20`, headers: auth, body: { prompt } });
      const done = res.events.find((event) => event.event === 'done');
      ctx.check(done, 'the answer ended without a done event');
      return res.events.filter((event) => event.event === 'token').length;
    });
    prompt = `Tell me more than ${answer} tokens`;
    await ctx.think(300);
  }
}
