export { ClusterRouter, type ClusterRouterOptions } from './router.js';
export { ReplicatingStore } from './replicating-store.js';
export { membershipSource, type MemberSource, type MemberChange } from './members.js';
export { planMoves, type MovePlan, type StoredActor } from './ownership-diff.js';
export { hasQuorum, nextAgreed } from './quorum.js';
export { decideRoute, type RouteDecision } from './route.js';
export * from './errors.js';
export * from './options.js';
