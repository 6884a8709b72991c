import { readRepositoryFile, readYaml } from './repository.js';

/** The parts of a Compose service these tests read. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  secrets?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  command?: string[];
  volumes?: string[];
  mem_limit?: string | number;
}

/** The parts of a Compose file these tests read. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
  [key: string]: unknown;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads the root `.env` as Docker Compose does for this repository's subset: `NAME=value` lines,
 * comments and blank lines, `${NAME}` referring to a variable defined above. Anything else throws,
 * so the file stays within what every Compose version reads the same way.
 */
export function readDotEnv(): Record<string, string> {
  const variables: Record<string, string> = {};
  readRepositoryFile('.env')
    .split('\n')
    .forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
      if (!match) throw new Error(`.env line ${index + 1} is not NAME=value: ${line}`);
      const [, name, value] = match as unknown as [string, string, string];
      if (/^["']/.test(value)) throw new Error(`.env line ${index + 1}: write values unquoted`);
      variables[name] = interpolate(value, variables, `.env line ${index + 1}`);
    });
  return variables;
}

/**
 * Substitutes `${NAME}` (and `$$` → `$`) the way Compose does, but strictly: an unknown variable
 * or a form with defaults or errors (`${NAME:-x}`) throws instead of silently becoming empty.
 */
export function interpolate(
  text: string,
  variables: Record<string, string>,
  where: string,
): string {
  return text.replace(/\$(\$|\{([^}]*)\}|[A-Za-z_][A-Za-z0-9_]*)/g, (whole, _token, braced) => {
    if (whole === '$$') return '$';
    const name = (braced as string | undefined) ?? whole.slice(1);
    if (!NAME.test(name)) throw new Error(`${where}: unsupported interpolation ${whole}`);
    const value = variables[name];
    if (value === undefined) throw new Error(`${where}: ${name} is not defined in .env`);
    return value;
  });
}

function interpolateValues(
  value: unknown,
  variables: Record<string, string>,
  path: string,
): unknown {
  if (typeof value === 'string') return interpolate(value, variables, path);
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateValues(item, variables, `${path}[${index}]`));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateValues(item, variables, `${path}.${key}`),
      ]),
    );
  }
  return value;
}

/** docker-compose.yml as Compose sees it: anchors merged and `.env` interpolated. */
export function readCompose(): ComposeFile {
  return interpolateValues(
    readYaml('docker-compose.yml'),
    readDotEnv(),
    'docker-compose.yml',
  ) as ComposeFile;
}
