/** A configuration problem: one line naming the file, the key and what is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}
