/**
 * The HTTP platform the e2e tests run on: the `e2e-express` project sets HTTP_ADAPTER=express
 * (test/support/express-adapter-env.ts); otherwise the node's default, Fastify.
 */
export function httpAdapterEnv(): { HTTP_ADAPTER?: string } {
  const adapter = process.env.HTTP_ADAPTER;
  return adapter ? { HTTP_ADAPTER: adapter } : {};
}
