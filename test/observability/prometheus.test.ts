import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { status, type ServiceError } from "@grpc/grpc-js";
import { parse } from "yaml";
import type { CheckFileResponse } from "../../src/gen/delineate/v1/download_service";
import { collectDownload, downloadRequest } from "../support/collect";
import { makeFile } from "../support/files";
import { freePort } from "../support/free-port";
import { httpGet } from "../support/metrics-text";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, type TestServer } from "../support/test-server";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..", "..", "..");
const PROMETHEUS_DIR = path.join(ROOT, "docker", "prometheus");
const DASHBOARDS_DIR = path.join(ROOT, "docker", "grafana", "dashboards");

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}
interface Dashboard {
  title: string;
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
}
interface QueryAnswer {
  status: string;
  error?: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe("promtool (Debian prometheus package; scripts/setup-system.sh installs it)", () => {
  it("checks the rules and the config, and passes the alert unit tests", async () => {
    const rules = await run("promtool", ["check", "rules", path.join(PROMETHEUS_DIR, "alerts.yml")]);
    assert.match(rules.stdout, /SUCCESS/);
    const config = await run("promtool", ["check", "config", path.join(PROMETHEUS_DIR, "prometheus.yml")]);
    assert.match(config.stdout, /SUCCESS/);
    const tests = await run("promtool", [
      "test",
      "rules",
      path.join(PROMETHEUS_DIR, "tests", "alerts-test.yml"),
    ]);
    assert.match(tests.stdout, /SUCCESS/);
  });
});

describe("alert documentation", () => {
  it("has a runbook section (meaning, checks, mitigation) and a matching runbook_url for every alert", async () => {
    const rules = parse(await readFile(path.join(PROMETHEUS_DIR, "alerts.yml"), "utf8")) as RuleFile;
    const runbook = await readFile(path.join(ROOT, "docs", "runbook.md"), "utf8");
    const sections = runbook.split(/^## /m).slice(1);
    const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
    assert.ok(alerts.length >= 10);
    for (const rule of alerts) {
      const name = rule.alert!;
      const section = sections.find((s) => s.startsWith(`${name}\n`));
      assert.ok(section, `no runbook section for ${name}`);
      assert.match(section, /\*\*Means\*\*/, name);
      assert.match(section, /\*\*Check first\*\*|first three/i, name);
      assert.match(section, /\*\*Mitigate\*\*/, name);
      const annotations = (rule as { annotations?: { runbook_url?: string } }).annotations;
      assert.equal(annotations?.runbook_url, `docs/runbook.md#${name.toLowerCase()}`);
    }
  });
});

describe("Grafana provisioning", () => {
  it("provisions the datasource every panel uses, and the dashboards' directory", async () => {
    const grafana = path.join(ROOT, "docker", "grafana", "provisioning");
    const datasources = parse(
      await readFile(path.join(grafana, "datasources", "prometheus.yml"), "utf8"),
    ) as {
      datasources: Array<{ uid: string; type: string }>;
    };
    const providers = parse(await readFile(path.join(grafana, "dashboards", "delineate.yml"), "utf8")) as {
      providers: Array<{ options: { path: string } }>;
    };
    assert.equal(providers.providers[0]?.options.path, "/var/lib/grafana/dashboards");
    const uids = new Set(datasources.datasources.map((d) => `${d.type}/${d.uid}`));
    for (const file of (await readdir(DASHBOARDS_DIR)).filter((f) => f.endsWith(".json"))) {
      const dashboard = JSON.parse(await readFile(path.join(DASHBOARDS_DIR, file), "utf8")) as {
        uid: string;
        panels: Array<{ id: number; title: string; datasource: { type: string; uid: string } }>;
      };
      assert.ok(dashboard.uid, `${file} has no uid`);
      const ids = dashboard.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel ids`);
      for (const panel of dashboard.panels) {
        assert.ok(uids.has(`${panel.datasource.type}/${panel.datasource.uid}`), `${file}: ${panel.title}`);
      }
    }
  });
});

/**
 * A real Prometheus on loopback scrapes a running service (1 s interval) while it serves
 * downloads, with the shipped alert rules loaded. Every alert/recording expression and every
 * dashboard query is then evaluated through the HTTP API.
 */
describe("Prometheus scraping a running service", () => {
  const resources = trackSuiteResources();
  const A = makeFile(40_001, 512 * 1024 + 3);
  const B = makeFile(40_002, 200 * 1024);
  let server: TestServer;
  let prometheus: ChildProcess;
  let workDir: string;
  let apiPort: number;

  const query = async (promql: string): Promise<QueryAnswer> => {
    const { text } = await httpGet(apiPort, `/api/v1/query?query=${encodeURIComponent(promql)}`);
    return JSON.parse(text) as QueryAnswer;
  };
  const scalar = async (promql: string): Promise<number | undefined> => {
    const answer = await query(promql);
    assert.equal(answer.status, "success", `${promql}: ${answer.error}`);
    const first = answer.data.result[0];
    return first ? Number(first.value[1]) : undefined;
  };
  const eventually = async (promql: string, expected: number): Promise<void> => {
    let seen: number | undefined;
    for (let i = 0; i < 50; i++) {
      seen = await scalar(promql);
      if (seen === expected) return;
      await sleep(200);
    }
    assert.equal(seen, expected, promql);
  };

  before(async () => {
    const metricsPort = await freePort();
    server = await startTestServer({
      files: [A, B],
      env: { METRICS_HOST: "127.0.0.1", METRICS_PORT: String(metricsPort) },
    });
    workDir = await mkdtemp(path.join(tmpdir(), "delineate-prom-"));
    apiPort = await freePort();
    const config = {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [path.join(PROMETHEUS_DIR, "alerts.yml")],
      scrape_configs: [
        { job_name: "delineate", static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] },
      ],
    };
    await writeFile(path.join(workDir, "prometheus.yml"), JSON.stringify(config));
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${path.join(workDir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(workDir, "data")}`,
        `--web.listen-address=127.0.0.1:${apiPort}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    prometheus.stderr?.on("data", (part: Buffer) => (stderr += part.toString()));
    for (let i = 0; ; i++) {
      const ready = await httpGet(apiPort, "/-/ready").catch(() => ({ status: 0 }));
      if (ready.status === 200) break;
      if (i > 150 || prometheus.exitCode !== null) throw new Error(`prometheus did not start: ${stderr}`);
      await sleep(100);
    }
  });

  after(async () => {
    if (prometheus.exitCode === null) {
      prometheus.kill("SIGTERM");
      await once(prometheus, "exit");
    }
    await server.close();
    await rm(workDir, { recursive: true, force: true });
    await resources.assertClean();
  });

  it("sees the downloads: bytes, codes, joins, jobs, up", async () => {
    await eventually('up{job="delineate"}', 1);
    const client = server.client();
    const checkFile = () =>
      new Promise<CheckFileResponse>((resolve, reject) =>
        client.checkFile({ fileId: A.fileId }, (e: ServiceError | null, r) => (e ? reject(e) : resolve(r))),
      );
    // rate() ignores a series' first sample: have the CheckFile series scraped before it grows again.
    await checkFile();
    await eventually('sum(grpc_server_handled_total{grpc_method="CheckFile"})', 1);
    const results = await Promise.all([
      collectDownload(client, downloadRequest(A.fileId)),
      collectDownload(client, downloadRequest(A.fileId)),
      collectDownload(client, downloadRequest(B.fileId)),
    ]);
    for (const result of results) assert.equal(result.status.code, status.OK, result.status.details);
    const missing = await collectDownload(client, downloadRequest(40_999));
    assert.equal(missing.status.code, status.NOT_FOUND);
    await checkFile();

    const bytes = 2 * A.bytes.length + B.bytes.length;
    await eventually('sum(delineate_bytes_sent_total{job="delineate"})', bytes);
    await eventually(
      'sum(grpc_server_handled_total{job="delineate",grpc_method="Download",grpc_code="OK"})',
      3,
    );
    assert.equal(
      await scalar('sum(grpc_server_handled_total{grpc_method="Download",grpc_code="NotFound"})'),
      1,
    );
    await eventually('sum(grpc_server_handled_total{grpc_method="CheckFile",grpc_code="OK"})', 2);
    assert.equal(
      await scalar('sum(grpc_server_started_total{grpc_service="delineate.v1.DownloadService"})'),
      6,
    );
    assert.equal(await scalar("sum(delineate_job_joins_total)"), 1);
    assert.equal(await scalar('sum(delineate_jobs_total{outcome="ready"})'), 2);
    assert.equal(await scalar('sum(delineate_downloads_total{outcome="completed"})'), 3);
    assert.equal(await scalar("sum(delineate_active_streams)"), 0);
    // The recording rule is 0 with traffic and no server errors (not absent).
    await eventually('job:delineate_grpc_server_errors:ratio_rate5m{job="delineate"}', 0);
  });

  it("evaluates every alert and recording rule without error, none firing", async () => {
    const rules = parse(await readFile(path.join(PROMETHEUS_DIR, "alerts.yml"), "utf8")) as RuleFile;
    const all = rules.groups.flatMap((g) => g.rules);
    assert.ok(all.length >= 10);
    for (const rule of all) {
      const answer = await query(rule.expr);
      assert.equal(answer.status, "success", `${rule.alert ?? rule.record}: ${answer.error}`);
    }
    // Prometheus's own evaluation of the loaded rules: all healthy.
    const { text } = await httpGet(apiPort, "/api/v1/rules");
    const loaded = JSON.parse(text) as {
      data: {
        groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state?: string }> }>;
      };
    };
    const evaluated = loaded.data.groups.flatMap((g) => g.rules);
    assert.equal(evaluated.length, all.length);
    for (const rule of evaluated) {
      assert.notEqual(rule.health, "err", `${rule.name}: ${rule.lastError}`);
      assert.notEqual(rule.state, "firing", `${rule.name} fires on healthy traffic`);
    }
  });

  it("evaluates every dashboard panel query without error, with data where traffic was", async () => {
    const files = (await readdir(DASHBOARDS_DIR)).filter((f) => f.endsWith(".json"));
    assert.deepEqual(files.sort(), ["delineate-main.json", "delineate-ops.json"]);
    const empty: string[] = [];
    let count = 0;
    for (const file of files) {
      const dashboard = JSON.parse(await readFile(path.join(DASHBOARDS_DIR, file), "utf8")) as Dashboard;
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) {
          // Grafana's interval variable; 1m covers the seconds of data this test has.
          const expr = target.expr.replaceAll("$__rate_interval", "1m");
          const answer = await query(expr);
          assert.equal(answer.status, "success", `${dashboard.title} / ${panel.title}: ${answer.error}`);
          if (answer.data.result.length === 0) empty.push(`${panel.title}: ${expr}`);
          count++;
        }
      }
    }
    assert.ok(count >= 20, `only ${count} queries`);
    // Without errors, retries or a restart, some panels are legitimately empty; these must not be.
    const mustHaveData = [
      "Calls started per second",
      "Bytes sent per second",
      "Active download streams",
      "Time to first status",
      "Server error ratio",
      "CPU",
      "Storage latency p99",
      "Storage circuit breaker",
      "Jobs by phase",
      "Job processing time",
    ];
    for (const title of mustHaveData) {
      assert.ok(!empty.some((e) => e.startsWith(title)), `no data for "${title}": ${empty.join("; ")}`);
    }
  });
});
