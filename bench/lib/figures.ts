/** One line of the results table. `timing` figures are speed; `correctness` figures must always hold. */
export interface Figure {
  readonly id: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Human-readable, e.g. "≥ 0.9". */
  readonly target: string;
  /** undefined: informational, no target. */
  readonly met: boolean | undefined;
  readonly kind: "timing" | "correctness" | "info";
  readonly detail?: string;
}

export function atLeast(value: number, min: number): boolean {
  return Number.isFinite(value) && value >= min;
}

export function atMost(value: number, max: number): boolean {
  return Number.isFinite(value) && value <= max;
}
