import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/http/error.dto';
import { AdminGuard } from './admin.guard';

/** The name of the admin routes' security scheme in the OpenAPI document (see api-docs.ts). */
export const ADMIN_SECURITY = 'admin';

/**
 * An operator's route: it needs `Authorization: Bearer <ADMIN_TOKEN>` (AdminGuard decides), and
 * the OpenAPI document says so, with its two refusals.
 */
export const AdminOnly = () =>
  applyDecorators(
    UseGuards(AdminGuard),
    ApiBearerAuth(ADMIN_SECURITY),
    ApiResponse({
      status: 401,
      description:
        'No "Authorization: Bearer <ADMIN_TOKEN>", or a wrong token; nothing is done. WWW-Authenticate: Bearer.',
      type: ErrorResponseDto,
    }),
    ApiResponse({
      status: 403,
      description:
        'This node has no ADMIN_TOKEN (or ADMIN_TOKEN_FILE): admin routes are off; the message says how to turn them on.',
      type: ErrorResponseDto,
    }),
  );
