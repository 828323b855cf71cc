#!/usr/bin/env node
/* global require */
// The CLI is TypeScript compiled by `npm run build`; this shim only finds it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("../dist/clients/cli/main.js");
