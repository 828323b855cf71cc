const UNDECODABLE = Symbol("undecodable");

/**
 * ts-proto decodes uint64 as number and throws beyond 2^53, which grpc-js would answer with
 * INTERNAL. This wraps a request decoder so such a request arrives as an empty message marked
 * undecodable, and validation answers it with INVALID_ARGUMENT instead.
 */
export function tolerantDeserialize<T extends object>(
  decode: (bytes: Buffer) => T,
  empty: () => T,
): (bytes: Buffer) => T {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch {
      return Object.assign(empty(), { [UNDECODABLE]: true });
    }
  };
}

export function isUndecodable(request: object): boolean {
  return UNDECODABLE in request;
}
