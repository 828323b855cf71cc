// Builds the browser page (clients/web) into clients/web/dist: type-check, bundle with esbuild, copy HTML.
/* global process, console */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const web = path.join(root, "clients", "web");
const out = path.join(web, "dist");

execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", web], {
  stdio: "inherit",
});

/** The generated module also defines the grpc-js client, which the page never uses: stub the import. */
const noGrpcJs = {
  name: "no-grpc-js",
  setup(b) {
    b.onResolve({ filter: /^@grpc\/grpc-js$/ }, () => ({ path: "grpc-js", namespace: "stub" }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents: "export function makeGenericClientConstructor() { return function () {}; }",
      loader: "js",
    }));
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(web, "src", "page.ts")],
  outfile: path.join(out, "page.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome120", "firefox120", "safari17"],
  inject: [path.join(web, "src", "browser-shims.ts")],
  plugins: [noGrpcJs],
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
copyFileSync(path.join(web, "index.html"), path.join(out, "index.html"));
console.log(`built ${path.relative(root, out)}`);
