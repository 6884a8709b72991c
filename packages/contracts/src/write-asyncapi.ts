import { writeFileSync } from 'node:fs';
import { buildAsyncApiDocument } from './asyncapi.js';

// Build step: writes the AsyncAPI document next to the package (asyncapi.json) for docs and tools.
const target = new URL('../asyncapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`);
