import { context } from '@opentelemetry/api';
import type { ActorRef } from '../../actors/runtime/port.js';
import type { Envelope, Reply } from '../transport/transport.js';
import { ForwardLimitError, OwnerUnreachableError, UnavailableError } from './errors.js';
import { errorReply, errorToReply, okReply } from './replies.js';
import type { ViewRequest } from './quorum.js';
import { decideRoute } from './route.js';
import type { InboundContext, KindEntry, PendingAsk } from './context.js';
import { BARRIER_KIND, CLAIM_KIND, REPLICATE_KIND, VIEW_KIND, decodeOps } from './system-messages.js';
import { continueTrace } from './trace.js';
import { decodeWith, encodeWith, MSGPACK } from './wire-codec.js';

/**
 * What arrives over the links: router-to-router requests (`system-messages.ts`), and actor envelopes, which are
 * delivered here (through the claim), forwarded to the owner by this node's ring (bounded hops), or refused.
 */
export function handleEnvelope(r: InboundContext, env: Envelope, from: string): Promise<Reply | void> {
  const target = env.target;
  if (target === undefined) return Promise.resolve(errorReply('BAD_ENVELOPE', 'envelope without target'));
  switch (target.kind) {
    case REPLICATE_KIND:
      return applyReplica(r, env.payload, from);
    case CLAIM_KIND:
      return r.claims.answer(env.payload, from);
    case BARRIER_KIND:
      return answerBarrier(r, env.payload, from);
    case VIEW_KIND:
      return Promise.resolve(okReply(MSGPACK.encode(r.view.answer(from, MSGPACK.decode(env.payload) as ViewRequest, r.accepting))));
  }
  const entry = r.kindEntry(target.kind);
  if (entry === undefined) return Promise.resolve(errorReply('UNKNOWN_KIND', `no actor kind named ${JSON.stringify(target.kind)} on ${r.nodeId}`));
  const d = decideRoute(r.ring, r.nodeId, target.kind, target.key, env.hops, r.options.maxForwardHops, r.handling);
  const isAsk = env.correlationId !== 0;
  const id = `${target.kind}/${target.key}`;
  switch (d.t) {
    case 'unavailable': {
      // A node that is starting holds the message until it handles messages (or the deadline), then routes it again.
      const held = r.startHold.hold(env.deadlineMs);
      if (held === undefined) return Promise.resolve(errorToReply(new UnavailableError(r.nodeId, r.unavailableReason)));
      return held.then((handling) => (handling ? handleEnvelope(r, env, from) : errorToReply(new UnavailableError(r.nodeId, r.unavailableReason))));
    }
    case 'hopLimit':
      return Promise.resolve(errorToReply(new ForwardLimitError(id, d.hops)));
    case 'remote': {
      const fwd: Envelope = { ...env, correlationId: 0, hops: d.hops };
      if (!isAsk) {
        try {
          r.transport.send(d.to, fwd);
        } catch (err) {
          r.logger.warn({ actor: id, to: d.to, err }, 'forwarded tell dropped');
        }
        return Promise.resolve();
      }
      // The reply's payload passes through undecoded.
      return r.transport.ask(d.to, fwd, env.deadlineMs).then(
        (reply) => ({ ...reply, correlationId: 0 }),
        (cause: unknown) => errorToReply(new OwnerUnreachableError(id, d.to, { cause })),
      );
    }
    case 'local': {
      let msg: unknown;
      try {
        msg = decodeWith(entry.codecs.message, target.kind, 'message', env.payload);
      } catch (err) {
        return Promise.resolve(errorToReply(err));
      }
      const ref = { kind: target.kind, key: target.key };
      const delivered = continueTrace(env.trace, target.kind);
      if (delivered === undefined) return deliverLocal(r, ref, msg, isAsk, env, entry);
      // The actor's span (made by the host) becomes a child of this hop's span.
      return context.with(delivered.ctx, () => {
        try {
          return deliverLocal(r, ref, msg, isAsk, env, entry);
        } finally {
          delivered.span.end();
        }
      });
    }
  }
}

/**
 * Writes a peer's replicated ops. Refused from a sender this node dropped from its agreed set and has not seen live
 * since (its failure was confirmed: the writes come from a cut-off owner whose actors the majority took over; refusing
 * keeps them from being acknowledged). A sender not heard of yet (a joiner ahead of gossip) is accepted. The store
 * skips a snapshot older than the one it holds, so a late copy never overwrites a newer term.
 */
async function applyReplica(r: InboundContext, payload: Uint8Array, from: string): Promise<Reply | void> {
  if (r.view.isDeparted(from)) return errorReply('NOT_A_MEMBER', `${r.nodeId} no longer counts ${from} as a member: replication refused`);
  await r.store.inner.commit(decodeOps(payload));
}

/** Hands a decoded envelope to the local actor (through the claim, which waits if the key is being taken over). */
function deliverLocal(r: InboundContext, ref: ActorRef<any, any>, msg: unknown, isAsk: boolean, env: Envelope, entry: KindEntry): Promise<Reply | void> {
  if (!isAsk) {
    r.claims.deliver(ref, msg, undefined);
    return Promise.resolve();
  }
  return new Promise<Reply>((resolve) => {
    const pending: PendingAsk = {
      deadlineMs: env.deadlineMs,
      resolve: (value) => {
        try {
          resolve(okReply(encodeWith(entry.codecs.reply, ref.kind, 'reply', value)));
        } catch (err) {
          resolve(errorToReply(err));
        }
      },
      reject: (err) => resolve(errorToReply(err)),
    };
    try {
      r.claims.deliver(ref, msg, pending);
    } catch (err) {
      pending.reject(err);
    }
  });
}

/**
 * A barrier (`ring-barriers.ts`): with `relay`, answered once every live peer answered a probe sent behind whatever
 * this node forwarded to it so far; without, at once (the probe itself).
 */
async function answerBarrier(r: InboundContext, payload: Uint8Array, from: string): Promise<Reply> {
  const { relay } = MSGPACK.decode(payload) as { relay: boolean };
  if (relay) await Promise.allSettled([...r.view.live].filter((p) => p !== r.nodeId).map((p) => r.askSystem(p, BARRIER_KIND, MSGPACK.encode({ relay: false }))));
  r.logger.debug({ peer: from, relay }, 'barrier answered');
  return okReply(MSGPACK.encode(null));
}
