/**
 * Node/V8 flags the service runs with: `npm start` and the image's CMD pass them; the bench and the
 * start-command tests fork the service with them; test/unit/deploy/start-command.test.ts keeps the
 * three in step.
 *
 * --initial-old-space-size=64: after start-up V8 sets the old generation's limit to about 1.5× the
 * live heap (~40 MB for our ~15 MB) and counts chunk buffers allocated since the last full GC
 * against it, so a fast download fell into a full mark-compact every ~20 ms (about 50 per GiB) and
 * the server spent half its CPU in GC. A configured initial size is a floor below which V8 skips
 * full GCs: 0–1 mark-compacts per GiB, server CPU 3.3 → 1.0 ms per MiB in P1, and no change in P2/P3
 * memory (README, Performance, P1).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--initial-old-space-size=64"];
