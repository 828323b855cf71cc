import { runCli } from "./program";

// Entry point of the `delineate` bin (bin/delineate.js).
void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
