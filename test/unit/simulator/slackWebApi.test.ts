/**
 * The sink's Slack workspace answers as Slack does (sources in tooling/simulator/slackWebApi.ts):
 * HTTP 200 with `ok: false` and the documented error, 429 with Retry-After per method.
 */
import { describe, expect, it } from 'vitest';

import { createSlackWorkspace } from '../../../tooling/simulator/slackWebApi.js';

const TOKEN = 'xoxb-1-2-token';
const call = (workspace: ReturnType<typeof createSlackWorkspace>, method: string, body: Record<string, unknown>, token: string | null = TOKEN) => {
  const answer = workspace.handle(`/api/${method}`, {
    path: `/api/${method}`,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    rawBody: JSON.stringify(body),
    body,
  });
  return {
    status: answer.status,
    retryAfter: answer.retryAfterSeconds,
    ...(JSON.parse(answer.text) as { ok: boolean; error?: string; ts?: string; channel?: string }),
  };
};

describe('the sink’s Slack Web API', () => {
  it('checks the token and the channel, and models messages, edits and threads', () => {
    let now = 0;
    const slack = createSlackWorkspace(() => now);
    slack.tokens.add(TOKEN);
    slack.addChannel('C1');
    slack.addChannel('C2', { member: false });
    expect(call(slack, 'chat.postMessage', { channel: 'C1', text: 'x' }, null)).toMatchObject({ ok: false, error: 'not_authed' });
    expect(call(slack, 'chat.postMessage', { channel: 'C1', text: 'x' }, 'xoxb-other')).toMatchObject({ ok: false, error: 'invalid_auth' });
    expect(call(slack, 'chat.postMessage', { channel: 'C9', text: 'x' })).toMatchObject({ ok: false, error: 'channel_not_found' });
    expect(call(slack, 'chat.postMessage', { channel: 'C2', text: 'x' })).toMatchObject({ ok: false, error: 'not_in_channel' });
    expect(call(slack, 'chat.postMessage', { channel: 'C1', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })), text: 'x' })).toMatchObject({
      error: 'invalid_blocks',
    });
    const posted = call(slack, 'chat.postMessage', { channel: 'C1', text: 'first' });
    expect(posted).toMatchObject({ ok: true, channel: 'C1' });
    now += 1_000;
    expect(call(slack, 'chat.postMessage', { channel: 'C1', text: 'reply', thread_ts: posted.ts })).toMatchObject({ ok: true });
    expect(call(slack, 'chat.update', { channel: 'C1', ts: posted.ts, text: 'edited' })).toMatchObject({ ok: true, ts: posted.ts });
    expect(call(slack, 'chat.update', { channel: 'C1', ts: '1.999', text: 'x' })).toMatchObject({ ok: false, error: 'message_not_found' });
    expect(slack.channels.get('C1')?.messages.map((message) => [message.postedText, message.text, message.edits.length, message.replies.length])).toEqual([
      ['first', 'edited', 1, 1],
    ]);
    slack.tokens.add('xoxb-another-app');
    expect(call(slack, 'chat.update', { channel: 'C1', ts: posted.ts, text: 'x' }, 'xoxb-another-app')).toMatchObject({
      ok: false,
      error: 'cant_update_message',
    });
    slack.deleteMessage('C1', posted.ts!);
    expect(call(slack, 'chat.update', { channel: 'C1', ts: posted.ts, text: 'x' })).toMatchObject({ ok: false, error: 'message_not_found' });
  });

  it('rate-limits per method: one post a second per channel, chat.update per minute, with Retry-After', () => {
    let now = 10_000;
    const slack = createSlackWorkspace(() => now);
    slack.addChannel('C1');
    slack.addChannel('C2');
    expect(call(slack, 'chat.postMessage', { channel: 'C1', text: 'a' })).toMatchObject({ ok: true });
    expect(call(slack, 'chat.postMessage', { channel: 'C2', text: 'a' })).toMatchObject({ ok: true });
    expect(call(slack, 'chat.postMessage', { channel: 'C1', text: 'b' })).toMatchObject({ status: 429, ok: false, error: 'ratelimited', retryAfter: 1 });
    now += 1_000;
    expect(call(slack, 'chat.postMessage', { channel: 'C1', text: 'b' })).toMatchObject({ ok: true });
    slack.limits.updatePerMinute = 1;
    const ts = slack.channels.get('C1')?.messages[0]?.ts;
    expect(call(slack, 'chat.update', { channel: 'C1', ts, text: 'x' })).toMatchObject({ ok: true });
    expect(call(slack, 'chat.update', { channel: 'C1', ts, text: 'y' })).toMatchObject({ status: 429, retryAfter: 60 });
  });

  it('lists a user group’s members and records response_url posts', () => {
    const slack = createSlackWorkspace();
    slack.usergroups.set('S1', ['U1', 'U2']);
    expect(call(slack, 'usergroups.users.list', { usergroup: 'S1' })).toMatchObject({ ok: true, users: ['U1', 'U2'] });
    expect(call(slack, 'usergroups.users.list', { usergroup: 'S9' })).toMatchObject({ ok: false, error: 'no_such_subteam' });
    slack.respond('/actions/T1/1/abc', { path: '/actions/T1/1/abc', headers: {}, rawBody: '{"text":"no"}', body: { text: 'no' } });
    expect(slack.responses).toEqual([{ path: '/actions/T1/1/abc', body: { text: 'no' } }]);
  });
});
