// The hunt's public surface for the gateway, scripts and tests.
export * from './definition.js';
export * from './fix.js';
export * from './messages.js';
export * from './options.js';
export { generateHunt, seededRandom, type GenerateOptions } from './generator.js';
export { huntKinds, type HuntKinds } from './kinds.js';
export { HuntGame, InvalidHuntRequestError, type AuditSource, type HuntGameDeps, type InvalidRequestReason } from './hunt-game.js';
