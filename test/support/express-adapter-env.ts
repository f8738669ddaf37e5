// Runs the e2e project `e2e-express` against Express; see jest.config.js for which specs.
process.env.HTTP_ADAPTER = 'express';
