// The one composition root: a whole node from its config (start-node.ts), and the parts it is made of.
export { startNode, EDGE_CLOSE_GRACE_MS, type QuarryNode, type StartNodeOptions } from './start-node.js';
export { createClusterNode, JoinTimeoutError, JOIN_RETRY_PAUSE_MS, type ClusterNode, type ClusterNodeOptions, type NodeTransports } from './cluster.js';
