import { applyDecorators } from '@nestjs/common';
import { IsString, Length, Matches } from 'class-validator';
import { USERNAME_MESSAGES, USERNAME_PATTERN } from './field-rules';

/** 1-64 characters of letters, digits, '.', '_' and '-'. */
export function IsUsername(): PropertyDecorator {
  return applyDecorators(
    IsString({ message: USERNAME_MESSAGES.string }),
    Length(1, 64, { message: USERNAME_MESSAGES.length }),
    Matches(USERNAME_PATTERN, { message: USERNAME_MESSAGES.pattern }),
  );
}
