import pg from 'pg';

type TextParser = (value: string) => unknown;

const INT8 = 20;
const INT8_ARRAY = 1016;
const DATE = 1082;
const DATE_ARRAY = 1182;
const TEXT_ARRAY = 1009;

/**
 * Type ids for which pg-types 2 has a text parser. PGlite is given exactly these parsers, so a row
 * read through PGlite has the same JavaScript shape as the same row read through `pg`.
 */
const PARSED_TYPE_IDS = [
  16, 17, 20, 21, 23, 26, 114, 199, 600, 651, 700, 701, 718, 791, 1000, 1001, 1005, 1007, 1008,
  1009, 1014, 1015, 1016, 1017, 1021, 1022, 1028, 1040, 1041, 1082, 1114, 1115, 1182, 1183, 1184,
  1185, 1186, 1187, 1231, 1270, 2951, 3802, 3807, 3907,
] as const;

/** int8 becomes a number, never a silently rounded one: beyond 2^53 cast to text or numeric in SQL. */
export function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) {
    throw new RangeError(
      `int8 value ${value} is outside JavaScript's safe integer range; select it as text`,
    );
  }
  return parsed;
}

/** A calendar date has no time zone, so it stays 'YYYY-MM-DD' instead of a midnight Date in some zone. */
function parseDate(value: string): string {
  return value;
}

function mapElements(value: unknown, element: TextParser): unknown {
  if (Array.isArray(value)) return value.map((entry) => mapElements(entry, element));
  return typeof value === 'string' ? element(value) : value;
}

/** pg's parser splits the array literal into strings; `element` then parses each (nulls stay null). */
function parseArray(arrayTypeId: number, element: TextParser): TextParser {
  const splitArray = pg.types.getTypeParser(arrayTypeId, 'text') as TextParser;
  return (value) => mapElements(splitArray(value), element);
}

const OVERRIDES: ReadonlyMap<number, TextParser> = new Map<number, TextParser>([
  [INT8, parseInt8],
  [INT8_ARRAY, parseArray(INT8_ARRAY, parseInt8)],
  [DATE, parseDate],
  [DATE_ARRAY, parseArray(TEXT_ARRAY, parseDate)],
]);

/** The text-format parser for a PostgreSQL type id, shared by both backends. */
export function textParserFor(typeId: number): TextParser {
  return OVERRIDES.get(typeId) ?? (pg.types.getTypeParser(typeId, 'text') as TextParser);
}

/** `types` option for a pg Pool or Client: pg's parsers with the overrides above. */
export function pgTypeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  for (const [typeId, parser] of OVERRIDES) types.setTypeParser(typeId, 'text', parser);
  return types;
}

/** `parsers` option for PGlite. */
export function pgliteTypeParsers(): Record<number, TextParser> {
  return Object.fromEntries(PARSED_TYPE_IDS.map((typeId) => [typeId, textParserFor(typeId)]));
}
