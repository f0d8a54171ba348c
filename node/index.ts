// The one composition root: a whole node from its config (start-node.ts), and the types of the parts it is made of.
export { startNode, EDGE_CLOSE_GRACE_MS, type QuarryNode, type StartNodeOptions } from './start-node.js';
export { JoinTimeoutError, JOIN_RETRY_PAUSE_MS, type ClusterNode, type NodeTransports } from './cluster.js';
