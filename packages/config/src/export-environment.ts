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
