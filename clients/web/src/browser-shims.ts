/**
 * The generated codecs (src/gen, env=node) wrap bytes with Buffer.from / Buffer.alloc. In the browser a
 * Uint8Array does the same job, so the web build injects this in place of the Node global.
 */
export const Buffer = {
  from: (bytes: Uint8Array): Uint8Array => bytes,
  alloc: (size: number): Uint8Array => new Uint8Array(size),
};
