import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HardStateFile } from '../../../src/election/hard-state-file';
import { makeTempDir } from '../../support/temp-dir';

describe('HardStateFile', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (tmp = makeTempDir()));
  afterEach(() => tmp.cleanup());

  it('starts at term 0 with no vote when nothing was saved', () => {
    expect(new HardStateFile(join(tmp.dir, 'new')).load()).toEqual({
      term: 0,
      votedFor: null,
      commit: 0,
    });
  });

  it('gives back the last term and vote saved, from a fresh instance', () => {
    const dir = join(tmp.dir, 'data');
    new HardStateFile(dir).save({ term: 3, votedFor: '127.0.0.1:8081' });
    new HardStateFile(dir).save({ term: 4, votedFor: null, commit: 12 });
    expect(new HardStateFile(dir).load()).toEqual({ term: 4, votedFor: null, commit: 12 });
    // Written beside and renamed over: no temporary file is left behind.
    expect(readdirSync(dir)).toEqual(['election-state.json']);
  });

  it('syncs the file and its directory before save returns', () => {
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const fsync = jest.spyOn(fs, 'fsyncSync');
    new HardStateFile(tmp.dir).save({ term: 1, votedFor: '127.0.0.1:8080' });
    expect(fsync).toHaveBeenCalledTimes(2);
    fsync.mockRestore();
  });

  it('refuses a file that is not an election state rather than start from term 0', () => {
    writeFileSync(join(tmp.dir, 'election-state.json'), '{"term":"three"}');
    expect(() => new HardStateFile(tmp.dir).load()).toThrow(/not an election state/);
    expect(existsSync(join(tmp.dir, 'election-state.json'))).toBe(true);
  });
});
