import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setupTestInfra } from '@mercato/harness';

// Like the harness fetching Kafka from Maven Central, the suite installs the pinned Schemathesis
// from PyPI itself (once, cached in .venv-tools), so `pnpm test` needs no manual step.
const ENSURE_SCHEMATHESIS = fileURLToPath(
  new URL('../../../scripts/ensure-schemathesis.sh', import.meta.url),
);

export default async () => {
  execFileSync('bash', [ENSURE_SCHEMATHESIS], { stdio: ['ignore', 'inherit', 'inherit'] });
  await setupTestInfra({ kafka: true, postgres: true });
};
