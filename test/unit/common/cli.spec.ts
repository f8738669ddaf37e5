import { parseCli, UsageError } from '../../../src/cli';

describe('parseCli', () => {
  it('defaults --config to config.toml', () => {
    expect(parseCli([])).toEqual({ configPath: 'config.toml' });
  });

  it('reads both flags, in both spellings, past a `--` separator', () => {
    expect(parseCli(['--', '--config', 'c.toml', '--this-node=127.0.0.1:8081'])).toEqual({
      configPath: 'c.toml',
      thisNode: '127.0.0.1:8081',
    });
  });

  it('reads --join', () => {
    expect(parseCli(['--join', 'http://127.0.0.1:3000'])).toEqual({
      configPath: 'config.toml',
      join: 'http://127.0.0.1:3000',
    });
  });

  it('refuses unknown arguments and missing values', () => {
    expect(() => parseCli(['--verbose'])).toThrow(UsageError);
    expect(() => parseCli(['--config'])).toThrow('--config needs a value');
    expect(() => parseCli(['--this-node', '--config', 'x'])).toThrow('--this-node needs a value');
  });
});
