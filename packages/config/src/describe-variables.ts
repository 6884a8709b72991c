import { z } from 'zod';
import { isSecretVariable, unwrapChain } from './fields.js';

/** What a deployment must know about one environment variable of a schema. */
export interface VariableDescription {
  /** The variable name; `${name}_FILE` may supply it from a file instead. */
  readonly name: string;
  /** Start-up fails unless the variable (or its `_FILE` twin) is set. */
  readonly required: boolean;
  /** The schema supplies a value when the variable is unset. */
  readonly hasDefault: boolean;
  /** Built with `secret()` or named like a credential: supply it from a Secret, never plain text. */
  readonly secret: boolean;
  /** The text given with `.describe()`, if any. */
  readonly description?: string;
}

/**
 * Lists the variables of a `loadConfig` schema in declaration order, so deployment tests can
 * check that Kubernetes manifests and compose files provide every required one.
 */
export function describeVariables(schema: z.ZodObject): VariableDescription[] {
  return Object.entries<z.core.$ZodType>(schema.shape).map(([name, field]) => {
    const chain = unwrapChain(field);
    const description = chain
      .map((layer) => z.globalRegistry.get(layer)?.description)
      .find((text) => text !== undefined);
    return {
      name,
      required: !z.safeParse(field, undefined).success,
      hasDefault: chain.some((layer) => ['default', 'prefault'].includes(layer._zod.def.type)),
      secret: isSecretVariable(name, field),
      ...(description === undefined ? {} : { description }),
    };
  });
}
