/** How `migrate cutover` and `migrate rollback` decide and wait; the defaults live here and only here. */
export type VerifyChoice = 'sample' | 'full' | 'none';

export interface SwitchOptions {
  /** Largest sync lag a step accepts. @default 1000 */
  maxLagMs: number;
  /** 'sample' and 'full' run a verify now; 'none' takes the last saved one. @default 'sample' */
  verify: VerifyChoice;
  /** Keep re-checking gates (and a busy switch lock) this long before giving up with exit 4. @default 0 */
  waitMs: number;
  /** Evaluate and report only: no lock, no record written, no verify result saved. @default false */
  dryRun: boolean;
  /** Switch even when gates fail; the drain and the rollback catch-up still run. @default false */
  force: boolean;
  /** Window: the old primary counts as quiet after this long without a change. @default 3000 */
  quietForMs: number;
  /** Window: longest wait for the old primary to go quiet. @default 120000 */
  quietTimeoutMs: number;
  /** Longest a fenced switch may hold writes before it is undone (clients fail held writes after 10 s). @default 10000 */
  fenceTimeoutMs: number;
  /**
   * After a fenced switch, how long the old primary's writes stay paused for the application to leave it (writes held
   * by the pause would run there once it lifts). @default 30000
   */
  fenceHoldMs: number;
  /** How long a CLIENT PAUSE lasts unless renewed: what a killed run leaves at most. @default 5000 */
  pauseLeaseMs: number;
  /** Between steps of one rollback, how long live clients get to reach the new epoch. @default 10000 */
  clientsTimeoutMs: number;
  /** Largest share of clients' shadow reads that may differ before reads move. @default 0.001 */
  maxShadowMismatchRate: number;
  /** Keys the verify gate draws in sample mode. @default 1000 */
  verifySample: number;
  /** Keys re-copied by name under a fence at most; past it the whole moving share is verified again. @default 100000 */
  maxListedKeys: number;
  /** How often waits poll heartbeats and the sync status. @default 50 */
  pollMs: number;
}

export const defaultSwitchOptions: SwitchOptions = {
  maxLagMs: 1000,
  verify: 'sample',
  waitMs: 0,
  dryRun: false,
  force: false,
  quietForMs: 3000,
  quietTimeoutMs: 120_000,
  fenceTimeoutMs: 10_000,
  fenceHoldMs: 30_000,
  pauseLeaseMs: 5000,
  clientsTimeoutMs: 10_000,
  maxShadowMismatchRate: 0.001,
  verifySample: 1000,
  maxListedKeys: 100_000,
  pollMs: 50,
};
