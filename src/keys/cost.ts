/** What the source commands of a run cost on Upstash, where every command is billed. */

/** Price Upstash charges per 100,000 commands (pay-as-you-go), in US dollars. */
export const usdPer100kCommands = 0.2;
export const estimateCostUsd = (commands: number): number =>
  Math.round((commands / 100_000) * usdPer100kCommands * 1e4) / 1e4;
