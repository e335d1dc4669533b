/** What a maintenance-window switch measured. */
export interface WindowReport {
  /** How writes were stopped: the operator stopped them (and the old primary went quiet), or CLIENT PAUSE. */
  stoppedBy: 'quiet' | 'client-pause';
  /** How quiet was judged: keyspace notifications, the server's change counter, or key counts. */
  quietBy?: 'notifications' | 'change-counter' | 'key-count' | undefined;
  /** Waiting for the old primary to go quiet. */
  quietWaitMs?: number | undefined;
  /** From writes stopped (the last change seen, or the pause) to the switch. */
  freezeMs: number;
  /** The final verify: ok, keys checked, differences. */
  verify?: { ok: boolean; mode: 'sample' | 'full'; checked: number; remaining: number } | undefined;
  /**
   * --fence: how long the pause was held after the switch for the application to leave the old primary, and how
   * many of its connections were still there when it lifted (their writes land on the old primary).
   */
  hold?: { heldMs: number; connectionsLeft: number } | undefined;
  /** The sync routes by the new epoch (its reverse feed, where there is one, runs). */
  syncFollowed: boolean;
}
