import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CredentialReloader } from './credential-reloader';
import { NODE_CREDENTIALS, type NodeCredentials } from './credentials';

/** Makes the node's credentials injectable everywhere, and keeps them re-read as they change. */
@Global()
@Module({})
export class CredentialsModule {
  static forRoot(credentials: NodeCredentials): DynamicModule {
    return {
      module: CredentialsModule,
      providers: [{ provide: NODE_CREDENTIALS, useValue: credentials }, CredentialReloader],
      exports: [NODE_CREDENTIALS],
    };
  }
}
