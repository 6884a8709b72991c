import { describe, expect, it } from '@jest/globals';
import { CHECKOUT_STAGES, DEFAULT_PORTS } from '@mercato/contracts';
import {
  createMetrics,
  DURATION_BUCKETS_SECONDS,
  grpcClientMetricsInterceptor,
  grpcServerMetricsInterceptor,
  httpMetricsMiddleware,
  kafkaMetrics,
} from '@mercato/metrics';
import { relayMetrics, retentionMetrics } from '@mercato/messaging';
import { OrderMetrics } from '@mercato/order-service';
import { readdirSync } from 'node:fs';
import { readRepositoryFile, readYaml, repositoryPath, run } from './support/repository.js';

// The promtool Debian ships; CI installs it. Missing, these tests fail rather than skip.
const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS_DIR = 'deploy/prometheus';
const filesIn = (dir: string) =>
  readdirSync(repositoryPath(PROMETHEUS_DIR, dir))
    .filter((file) => file.endsWith('.yml'))
    .map((file) => repositoryPath(PROMETHEUS_DIR, dir, file));

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}
interface Dashboard {
  uid: string;
  panels: {
    id: number;
    type: string;
    datasource?: { uid: string };
    targets?: { expr: string; datasource?: { uid: string } }[];
  }[];
}

// Series Prometheus itself writes for every target.
const PROMETHEUS_SERIES = new Set(['up']);
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool']);

/** The metric names a PromQL expression selects (functions, labels and keywords left out). */
function metricNames(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ');
  return [...bare.matchAll(/(?<![\w.$])([A-Za-z_:][\w:]*)(?!\s*\(|[\w:])/g)]
    .map((match) => match[1]!)
    .filter((name) => !PROMQL_KEYWORDS.has(name));
}

/** Every series name a service can expose through @mercato/metrics, from a real registry. */
async function exportedSeriesNames(): Promise<Set<string>> {
  const registry = createMetrics({ service: 'probe' });
  httpMetricsMiddleware(registry);
  grpcServerMetricsInterceptor(registry);
  grpcClientMetricsInterceptor(registry);
  kafkaMetrics(registry);
  retentionMetrics(registry);
  relayMetrics(registry);
  new OrderMetrics(registry);
  const metrics = await registry.getMetricsAsJSON();
  return new Set(
    metrics.flatMap(({ name, type }) =>
      String(type) === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
    ),
  );
}

const ruleFiles = filesIn('rules').map((file) => ({
  file,
  rules: readYaml<RuleFile>(file).groups.flatMap((group) => group.rules),
}));
const recorded = new Set(
  ruleFiles.flatMap(({ rules }) => rules.flatMap((rule) => rule.record ?? [])),
);
const dashboard = JSON.parse(
  readRepositoryFile('deploy/grafana/dashboards/mercato.json'),
) as Dashboard;
const dashboardExpressions = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => target.expr),
);

describe('Prometheus configuration', () => {
  it('passes promtool check config', async () => {
    await run(PROMTOOL, ['check', 'config', repositoryPath(PROMETHEUS_DIR, 'prometheus.yml')]);
  });

  it('has alert rules that pass promtool check rules', async () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    await run(PROMTOOL, ['check', 'rules', ...ruleFiles.map(({ file }) => file)]);
  });

  it('has alert rules that pass their promtool unit tests', async () => {
    const tests = filesIn('tests');
    expect(tests.length).toBeGreaterThan(0);
    await run(PROMTOOL, ['test', 'rules', ...tests]);
  });

  it('tests every alert it defines', () => {
    const tested = new Set(
      filesIn('tests').flatMap((file) =>
        [...readRepositoryFile(file).matchAll(/^\s*alertname:\s*(\S+)\s*$/gm)].map(
          (match) => match[1],
        ),
      ),
    );
    const alerts = ruleFiles.flatMap(({ rules }) => rules.flatMap((rule) => rule.alert ?? []));
    expect(alerts.filter((alert) => !tested.has(alert))).toEqual([]);
  });

  it('scrapes each service on its HTTP port from @mercato/contracts', () => {
    const config = readYaml<{
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    }>(PROMETHEUS_DIR, 'prometheus.yml');
    const targets = config.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((group) => group.targets),
    );
    expect(targets.sort()).toEqual(
      Object.entries(DEFAULT_PORTS)
        .map(([service, ports]) => `${service}:${ports.http}`)
        .sort(),
    );
  });

  it('selects only series that @mercato/metrics exports or the rules record', async () => {
    const exported = await exportedSeriesNames();
    const used = ruleFiles.flatMap(({ rules }) => rules.flatMap((rule) => metricNames(rule.expr)));
    expect(used).toContain('kafka_consumer_messages_dead_lettered_total');
    expect(used).toContain('http_server_request_duration_seconds_bucket');
    const unknown = used.filter(
      (name) => !exported.has(name) && !recorded.has(name) && !PROMETHEUS_SERIES.has(name),
    );
    expect([...new Set(unknown)]).toEqual([]);
  });
});

describe('the Grafana dashboard', () => {
  it('queries only series that @mercato/metrics exports', async () => {
    const exported = await exportedSeriesNames();
    const used = dashboardExpressions.flatMap(metricNames);
    expect(used).toEqual(
      expect.arrayContaining([
        'http_server_request_duration_seconds_count',
        'grpc_server_handled_total',
        'kafka_consumer_lag_messages',
      ]),
    );
    expect([...new Set(used.filter((name) => !exported.has(name)))]).toEqual([]);
  });

  it("plots every checkout stage's histogram, as a p50 and a p99", () => {
    const quantiles = (q: string) =>
      dashboardExpressions.filter((expression) =>
        expression.startsWith(`histogram_quantile(${q},`),
      );
    for (const q of ['0.5', '0.99']) {
      const plotted = new Set(quantiles(q).flatMap(metricNames));
      expect(CHECKOUT_STAGES.filter((stage) => !plotted.has(`${stage.metric}_bucket`))).toEqual([]);
    }
  });

  it('uses the provisioned Prometheus datasource in every panel', () => {
    const provisioned = readYaml<{ datasources: { uid: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    ).datasources.map((datasource) => datasource.uid);
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect(provisioned).toContain(panel.datasource?.uid);
      for (const target of panel.targets ?? [])
        expect(provisioned).toContain(target.datasource?.uid);
    }
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
  });

  it('and the rules compare latency only at bucket boundaries @mercato/metrics has', () => {
    const boundaries = [
      ...dashboardExpressions,
      ...ruleFiles.flatMap(({ rules }) => rules.map((rule) => rule.expr)),
    ].flatMap((expression) => [...expression.matchAll(/\ble="([^"]*)"/g)].map((match) => match[1]));
    expect(boundaries.length).toBeGreaterThan(0);
    const buckets = DURATION_BUCKETS_SECONDS.map(String);
    expect(boundaries.filter((boundary) => !buckets.includes(boundary!))).toEqual([]);
  });
});
