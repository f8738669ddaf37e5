/**
 * A DTO may name a hand-written validator for its body, which the validation pipe then runs
 * instead of class-transformer and class-validator: on a route as hot as the heartbeat, their
 * reflection costs more than the rest of the request's own work. The validator must refuse
 * exactly what the DTO's decorators refuse, with the same messages in the same order.
 */
export type BodyCheck<T> = { ok: true; value: T } | { ok: false; messages: string[] };
export type BodyValidator<T> = (body: Record<string, unknown>) => BodyCheck<T>;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const validators = new WeakMap<Function, BodyValidator<unknown>>();

export function ValidatedBy<T>(validate: BodyValidator<T>): ClassDecorator {
  return (target) => {
    validators.set(target, validate);
  };
}

export function bodyValidatorFor(metatype: unknown): BodyValidator<unknown> | undefined {
  return typeof metatype === 'function' ? validators.get(metatype) : undefined;
}
