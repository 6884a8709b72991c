#!/usr/bin/env node
// Prints the URL of a running PostgreSQL server, starting one if needed; `ensure-postgres stop` ends it.
import { runBin } from './run-bin.js';

await runBin('postgres');
