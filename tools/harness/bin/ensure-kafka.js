#!/usr/bin/env node
// Prints the address of a running Kafka broker, starting one if needed; `ensure-kafka stop` ends it.
import { runBin } from './run-bin.js';

await runBin('kafka');
