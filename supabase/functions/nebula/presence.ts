// When a device counts as online: seen (heartbeat or registration) within two
// of the agent's heartbeat intervals, so one lost beat does not flip it.
// Status, peers and the project view all answer by this one rule.

/** How often the agent beats (told to it in the heartbeat answer). */
export const HEARTBEAT_INTERVAL_SECONDS = 60;

export const ONLINE_WITHIN_SECONDS = 2 * HEARTBEAT_INTERVAL_SECONDS;

export function isOnline(lastSeenAt: Date | null, now: number = Date.now()): boolean {
  return lastSeenAt !== null && now - lastSeenAt.getTime() <= ONLINE_WITHIN_SECONDS * 1000;
}
