import { NodeLogger } from '../../../src/common/logging/node-logger';

describe('NodeLogger', () => {
  const capture = (level: 'info' | 'debug', format: 'text' | 'json') => {
    const lines: string[] = [];
    return { lines, logger: new NodeLogger(level, format, '127.0.0.1:8080', (l) => lines.push(l)) };
  };

  it('writes one JSON object per line in json format', () => {
    const { lines, logger } = capture('info', 'json');
    logger.log('became leader in term 2', 'Election');
    logger.error('boom', 'Error: boom\n    at x', 'Http');
    expect(lines.map((l) => JSON.parse(l) as Record<string, string>)).toEqual([
      {
        ts: expect.any(String),
        level: 'info',
        node: '127.0.0.1:8080',
        context: 'Election',
        msg: 'became leader in term 2',
      },
      {
        ts: expect.any(String),
        level: 'error',
        node: '127.0.0.1:8080',
        context: 'Http',
        msg: 'boom',
        stack: 'Error: boom\n    at x',
      },
    ]);
  });

  it('writes level and context in text format, and drops what is below the level', () => {
    const { lines, logger } = capture('info', 'text');
    logger.debug('hidden', 'Election');
    logger.warn('peer unreachable', 'Transport');
    expect(lines).toEqual([expect.stringMatching(/^\S+Z WARN {2}\[Transport\] peer unreachable$/)]);
  });

  it("keeps Nest's start-up chatter for debug", () => {
    const info = capture('info', 'text');
    info.logger.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(info.lines).toEqual([]);
    const debug = capture('debug', 'text');
    debug.logger.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(debug.lines).toHaveLength(1);
  });
});
