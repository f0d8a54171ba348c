import { timingSafeEqual, createHash } from 'node:crypto';

/**
 * Checks an operator credential (`authorization: Bearer <ops.operatorToken>`) in constant time. Hashing both
 * sides first makes the comparison independent of the presented token's length.
 */
export function isOperator(authorization: string | undefined, operatorToken: string): boolean {
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  if (!match) return false;
  const a = createHash('sha256').update(match[1]!).digest();
  const b = createHash('sha256').update(operatorToken).digest();
  return timingSafeEqual(a, b);
}
