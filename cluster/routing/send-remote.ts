import type { Envelope, Transport } from '../transport/transport.js';
import { LinkClosedError } from '../transport/errors.js';
import type { PendingAsk } from './context.js';
import { OwnerUnreachableError } from './errors.js';
import { errorFromReply } from './replies.js';

/**
 * Sends a routed message on to `to`, the actor's owner by this node's ring; an ask settles from the reply, errors
 * mapped back to their typed classes. A tell that cannot be sent throws OwnerUnreachableError.
 */
export function sendRemote(transport: Transport, to: string, env: Envelope, reply: PendingAsk | undefined, decode: (bytes: Uint8Array) => unknown): void {
  const id = `${env.target!.kind}/${env.target!.key}`;
  if (reply === undefined) {
    try {
      transport.send(to, env);
    } catch (cause) {
      throw new OwnerUnreachableError(id, to, { cause });
    }
    return;
  }
  transport.ask(to, env, reply.deadlineMs).then(
    (r) => {
      if (r.errorCode === '') {
        try {
          reply.resolve(decode(r.payload));
        } catch (err) {
          reply.reject(err);
        }
      } else reply.reject(errorFromReply(r, to, id));
    },
    (cause: unknown) => reply.reject(cause instanceof LinkClosedError ? new OwnerUnreachableError(id, to, { cause }) : cause),
  );
}
