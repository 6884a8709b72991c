/** One problem with one environment variable. */
export interface ConfigIssue {
  /** The variable at fault, e.g. `HTTP_PORT`. */
  readonly variable: string;
  /** What is wrong with it, never containing a secret value. */
  readonly message: string;
}

/** Thrown by `loadConfig` when the environment is invalid; lists every bad variable at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every problem found, in schema order. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], configName?: string) {
    const subject = configName
      ? `Invalid configuration for ${configName}`
      : 'Invalid configuration';
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const lines = issues.map((issue) => `  - ${issue.variable}: ${issue.message}`);
    super([`${subject} (${count}):`, ...lines].join('\n'));
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }
}
