import { inCi } from '../../support/ci';

describe('inCi: the one rule for "this run is CI"', () => {
  const saved = process.env.CI;
  afterEach(() => {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  });

  it.each(['true', '1', 'yes', 'TRUE', 'github-actions'])('CI=%s is CI', (value) => {
    process.env.CI = value;
    expect(inCi()).toBe(true);
  });

  it.each(['', ' ', '0', 'false', 'False'])('CI=%j is not', (value) => {
    process.env.CI = value;
    expect(inCi()).toBe(false);
  });

  it('no CI at all is not', () => {
    delete process.env.CI;
    expect(inCi()).toBe(false);
  });
});
