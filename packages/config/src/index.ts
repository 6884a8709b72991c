export { z } from 'zod';
export { baseServiceSchema, type BaseServiceConfig } from './base-schema.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { describeVariables, type VariableDescription } from './describe-variables.js';
export {
  bool,
  csvList,
  duration,
  integer,
  LOG_LEVELS,
  logLevel,
  NODE_ENVS,
  nodeEnv,
  oneOf,
  port,
  ratio,
  secret,
  url,
  type LogLevel,
  type NodeEnv,
} from './fields.js';
export {
  loadConfig,
  type Config,
  type DeepReadonly,
  type LoadConfigOptions,
} from './load-config.js';
export { childEnvironment, exportEnvironment } from './export-environment.js';
