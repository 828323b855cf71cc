/** One row of the drill table. */
export interface DrillResult {
  readonly drill: string;
  readonly expected: string;
  readonly observed: string;
  /** Bytes received by clients and checked against the file's sha256. */
  readonly bytesVerified: number;
  readonly pass: boolean;
}

/** A Markdown table, ready for the README. */
export function formatTable(results: readonly DrillResult[]): string {
  const rows = results.map((r) => [
    r.drill,
    r.expected,
    r.observed,
    r.bytesVerified.toLocaleString("en-US"),
    r.pass ? "pass" : "FAIL",
  ]);
  const lines = [
    "| drill | expected | observed | bytes verified | result |",
    "| --- | --- | --- | ---: | --- |",
    ...rows.map((cells) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`),
  ];
  return lines.join("\n");
}
