/**
 * The value of a series of a Prometheus text exposition, 0 when it is absent: `name{a="1"}` matches
 * the series of that name whose labels include `a="1"` (the registry adds `service` and others).
 */
export function sample(exposition: string, series: string): number {
  const [, name, wanted = ''] = /^(\w+)(?:\{(.*)\})?$/.exec(series)!;
  const labels = wanted ? wanted.split(',') : [];
  for (const line of exposition.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (labels.every((label) => present.includes(label))) return Number(match[3]);
  }
  return 0;
}
