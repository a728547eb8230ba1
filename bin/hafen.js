#!/usr/bin/env node
// Entry point of the `hafen` command: runs the compiled CLI (npm ci builds it via `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
