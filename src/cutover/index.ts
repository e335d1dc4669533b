/** The cutover engine: staged and window switches of the application to the target, and back (rollback). */
export type { SwitchEvent, SwitchPhase } from './context.js';
export type { Gate } from './gate.js';
export { defaultSwitchOptions, type SwitchOptions, type VerifyChoice } from './options.js';
export type { StepReport, SwitchReport } from './report.js';
export { checkRequest, type SwitchDirection, type SwitchRequest } from './request.js';
export { runSwitch, type SwitchRun } from './run-switch.js';
export type { WindowReport } from './window-report.js';
