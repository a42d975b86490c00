/**
 * Who may press the buttons of a Slack app receiver: a Slack user listed in its `allowedActors` by
 * `slackUserId`, or a member of a listed `slackGroupId` (user group, read with usergroups.users.list).
 * Everyone else is refused. The principal a silence or acknowledgement is attributed to is the entry's
 * `principal`, else the Slack user id; never a name from the payload (a display name is not an identity).
 */
import type { SlackAppInteractivity } from '../interactionContract.js';

/** The Slack user ids in a user group (`usergroups.users.list`); throws when Slack cannot say. */
export type SlackGroupMembers = (app: SlackAppInteractivity, groupId: string) => Promise<ReadonlySet<string>>;

export type ActorVerdict = { principal: string } | { refused: string };

/** Whether `userId` may press `app`'s buttons, and as whom. User entries are checked before groups (no Slack call). */
export async function authorizeSlackActor(app: SlackAppInteractivity, userId: string, members: SlackGroupMembers): Promise<ActorVerdict> {
  const direct = app.allowedActors.find((actor) => actor.slackUserId === userId);
  if (direct !== undefined) return { principal: direct.principal ?? userId };
  for (const actor of app.allowedActors) {
    if (actor.slackGroupId === undefined) continue;
    let users: ReadonlySet<string>;
    try {
      users = await members(app, actor.slackGroupId);
    } catch {
      return { refused: `your membership of the allowed Slack user groups could not be checked right now; try again in a minute` };
    }
    if (users.has(userId)) return { principal: actor.principal ?? userId };
  }
  return { refused: `you are not on the list of people allowed to act on ${app.name}'s alerts (allowedActors in the routing document)` };
}
