import {
  type ArgumentMetadata,
  BadRequestException,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';

function messages(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const own = Object.values(e.constraints ?? {});
    const nested = messages(e.children ?? [], `${prefix}${e.property}.`);
    return [...own.map((m) => (prefix ? `${prefix}${m}` : m)), ...nested];
  });
}

/** A JSON body that is an array or a scalar has no fields to validate: say so plainly. */
class JsonBodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw new BadRequestException({
        success: false,
        message: 'Request body must be a JSON object',
      });
    }
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
    exceptionFactory: (errors) =>
      new BadRequestException({
        success: false,
        message: messages(errors).join('; ') || 'Invalid request body',
      }),
  });
}
