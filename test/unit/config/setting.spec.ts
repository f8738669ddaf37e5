import { ConfigError } from '../../../src/config/config-error';
import { envVar, fileKey, type Inputs } from '../../../src/config/setting';
import { int } from '../../../src/config/value-rules';
import { text } from '../../../src/config/env-rules';

/** The declaration helpers a new setting is written with, apart from any real setting. */
const inputs = (over: Partial<Inputs> = {}): Inputs => ({
  file: 'test.toml',
  toml: {},
  env: {},
  cli: {},
  ...over,
});
const problemOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('no ConfigError');
};

describe('declaring a setting', () => {
  const size = fileKey('size', int(), '--size').withDefault(7);

  it('takes the command line over the environment over the file over the default', () => {
    expect(size.read(inputs()).value).toBe(7);
    expect(size.read(inputs({ toml: { size: 3 } })).value).toBe(3);
    expect(size.read(inputs({ toml: { size: 3 }, env: { SIZE: '4' } }))).toEqual({
      value: 4,
      label: 'size (from env SIZE)',
    });
    const all = inputs({ toml: { size: 3 }, env: { SIZE: '4' }, cli: { '--size': '5' } });
    expect(size.read(all)).toEqual({ value: 5, label: 'size (from --size)' });
  });

  it('checks only the value that counts', () => {
    expect(size.read(inputs({ toml: { size: 'big' }, env: { SIZE: '4' } })).value).toBe(4);
    expect(problemOf(() => size.read(inputs({ toml: { size: 'big' } })))).toBe(
      'test.toml: size: must be an integer, got the string "big"',
    );
  });

  it('says a required setting is missing, and gives null for an optional one', () => {
    expect(problemOf(() => fileKey('size', int()).required().read(inputs()))).toBe(
      'test.toml: size: missing',
    );
    expect(envVar('NAME', text).optional().read(inputs()).value).toBeNull();
  });

  it('converts after the check, so the default is written in the unit users write', () => {
    const mib = fileKey('mib', int({ min: 0 }))
      .withDefault(2)
      .map((n) => n * 1024 * 1024);
    expect(mib.read(inputs()).value).toBe(2 * 1024 * 1024);
    expect(mib.shownDefault).toBe('2');
    expect(problemOf(() => mib.read(inputs({ toml: { mib: -1 } })))).toBe(
      'test.toml: mib: must be at least 0, got -1',
    );
  });

  it('reads an alias only when the variable itself is unset', () => {
    const name = envVar('NAME', text).or(envVar('OLD_NAME', text)).withDefault('none');
    expect(name.read(inputs({ env: { OLD_NAME: 'b' } })).value).toBe('b');
    expect(name.read(inputs({ env: { NAME: 'a', OLD_NAME: 'b' } })).value).toBe('a');
    expect(name.names).toEqual(['NAME']);
    expect(name.aliases).toEqual(['OLD_NAME']);
  });

  it('refuses two rival variables both set, but not one key given in two places', () => {
    const rivals = fileKey('size', int()).notWith(envVar('SIZE_FILE', text)).optional();
    expect(rivals.names).toEqual(['size', 'SIZE_FILE']);
    expect(rivals.read(inputs({ toml: { size: 3 }, env: { SIZE: '4' } })).value).toBe(4);
    expect(
      problemOf(() => rivals.read(inputs({ toml: { size: 3 }, env: { SIZE_FILE: 'f' } }))),
    ).toBe('test.toml: size: set either size or SIZE_FILE, not both');
  });
});
