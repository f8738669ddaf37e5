import {
  type ArgumentMetadata,
  BadRequestException,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { type BodyValidator, bodyValidatorFor } from './body-validator';

function messages(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const own = Object.values(e.constraints ?? {});
    const nested = messages(e.children ?? [], `${prefix}${e.property}.`);
    return [...own.map((m) => (prefix ? `${prefix}${m}` : m)), ...nested];
  });
}

const invalid = (message: string) => new BadRequestException({ success: false, message });

/** A JSON body that is an array or a scalar has no fields to validate: say so plainly. */
function assertJsonObject(value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('Request body must be a JSON object');
  }
}

/**
 * A body checked by its DTO's hand-written validator, as the validation pipe checks it: the DTO,
 * or the pipe's 400. Also called by the heartbeat's direct route on Fastify.
 */
export function checkBody<T>(value: unknown, validate: BodyValidator<T>): T {
  assertJsonObject(value);
  const checked = validate(value);
  if (!checked.ok) throw invalid(checked.messages.join('; '));
  return checked.value;
}

/** A DTO with a hand-written validator (see body-validator.ts) is checked by it alone. */
class JsonBodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body') return super.transform(value, metadata);
    const validate = bodyValidatorFor(metadata.metatype);
    if (validate) return checkBody(value, validate);
    assertJsonObject(value);
    return super.transform(value, metadata);
  }
}

/** DTO validation: unknown fields are refused, and each wrong field is named once in one message. */
export function createValidationPipe(): ValidationPipe {
  return new JsonBodyValidationPipe({
    stopAtFirstError: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => invalid(messages(errors).join('; ') || 'Invalid request body'),
  });
}
