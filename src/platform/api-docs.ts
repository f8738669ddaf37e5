import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ADMIN_SECURITY } from '../admin/admin-only';

/**
 * OpenAPI for every route: the UI at /docs, the spec at /docs-json. Here, not in a module,
 * because Swagger serves its UI through the HTTP platform (on Fastify, @fastify/static).
 */
export function setUpApiDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('rollcall')
    .setDescription(
      'Client registration, presence and discovery. Leader-only routes answer 403 on a follower ' +
        'with the leader and its API, and 503 with Retry-After while no leader can serve. Every ' +
        'error is {success:false, message}. Admin routes need Authorization: Bearer <ADMIN_TOKEN>.',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque token',
        description:
          "The node's ADMIN_TOKEN (or ADMIN_TOKEN_FILE). Without one the admin routes answer 403.",
      },
      ADMIN_SECURITY,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}
