/**
 * Sets environment variables for this process and the child processes it starts — how a test
 * harness hands the addresses of the servers it started to test workers. Undefined values are
 * skipped. The only writer of `process.env`, as `loadConfig` is the only reader.
 */
export function exportEnvironment(values: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) process.env[name] = value;
  }
}

/**
 * The environment for a child process: this process's variables (PATH, HOME, proxies…) overlaid
 * with `values`. How launchers hand configuration to the services they spawn without reading
 * `process.env` themselves.
 */
export function childEnvironment(
  values: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...values })) {
    if (value !== undefined) environment[name] = value;
  }
  return environment;
}
