import { applyDecorators } from '@nestjs/common';
import { IsString, Length, Matches } from 'class-validator';

export const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;

/** 1-64 characters of letters, digits, '.', '_' and '-'. */
export function IsUsername(): PropertyDecorator {
  return applyDecorators(
    IsString({ message: 'username must be a string' }),
    Length(1, 64, { message: 'username must be 1-64 characters long' }),
    Matches(USERNAME_PATTERN, {
      message: "username may only contain letters, digits, '.', '_' and '-'",
    }),
  );
}
