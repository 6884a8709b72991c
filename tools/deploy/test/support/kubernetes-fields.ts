/**
 * Finds the fields of a Kubernetes object that its schema does not declare: the check the API
 * server makes under kubectl's default `--validate=strict`, and which the kubernetes-models
 * schemas skip (they allow additional properties, so `imagePullPolice` validates).
 *
 * kubernetes-models ships its OpenAPI definitions only as Ajv-compiled validators
 * (`kubernetes-models/_schemas/*.js`, one per definition), not as JSON schemas to walk. A compiled
 * validator looks up every property its schema declares, set or not (`data.image`,
 * `data.imagePullPolicy`, …), and every key of a map it checks (`additionalProperties`: labels,
 * ConfigMap data, resource quantities); it looks up nothing in a free-form object
 * (`x-kubernetes-preserve-unknown-fields`, RawExtension). So the model's validator runs over a
 * proxy that records those look-ups: a key it never looked up, in an object it looked into, is one
 * the schema does not declare. `$ref`s, int-or-string and `metadata` need no case of their own:
 * the validator resolves and checks them as the schema says.
 */

/** A kubernetes-models class: its `validate()` checks `this` against the kind's compiled schema. */
export interface KubernetesModelClass {
  readonly prototype: { validate(): void };
}

type LookUps = WeakMap<object, Set<string>>;

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** Ajv's ValidationError, which the models throw for an invalid object, carries the failed checks. */
const isValidationError = (error: unknown): boolean =>
  error instanceof Error && Array.isArray((error as { errors?: unknown }).errors);

function tracked(target: object, lookUps: LookUps, proxies: WeakMap<object, object>): object {
  const existing = proxies.get(target);
  if (existing) return existing;
  const record = (key: string | symbol) => {
    if (typeof key !== 'string') return;
    const keys = lookUps.get(target) ?? new Set<string>();
    keys.add(key);
    lookUps.set(target, keys);
  };
  const proxy = new Proxy(target, {
    get(object, key) {
      record(key);
      const value: unknown = Reflect.get(object, key);
      return isObject(value) ? tracked(value, lookUps, proxies) : value;
    },
    has(object, key) {
      record(key);
      return Reflect.has(object, key);
    },
  });
  proxies.set(target, proxy);
  return proxy;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

const pathTo = (parent: string, key: string) => {
  if (!IDENTIFIER.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
};

function undeclaredBelow(value: unknown, path: string, lookUps: LookUps): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => undeclaredBelow(item, `${path}[${index}]`, lookUps));
  }
  if (!isObject(value)) return [];
  // Never looked into: a free-form object, or one whose value the validator rejected outright
  // (the schema check reports that value itself).
  const declared = lookUps.get(value);
  if (!declared) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    declared.has(key) ? undeclaredBelow(child, pathTo(path, key), lookUps) : [pathTo(path, key)],
  );
}

/**
 * The JSON paths (`spec.template.spec.containers[0].imagePullPolice`) of every field in `object`
 * that the model's schema does not declare, in document order; empty when every field is known.
 */
export function undeclaredFields(object: object, model: KubernetesModelClass): string[] {
  const lookUps: LookUps = new WeakMap();
  try {
    model.prototype.validate.call(tracked(object, lookUps, new WeakMap()));
  } catch (error) {
    if (!isValidationError(error)) throw error;
  }
  return undeclaredBelow(object, '', lookUps);
}
