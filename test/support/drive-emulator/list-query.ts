import type { DriveItem } from './store';

export type ItemPredicate = (item: DriveItem) => boolean;

/** Thrown with a message naming what the emulator did not understand in `q`. */
export class QuerySyntaxError extends Error {}

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'word'; value: string }
  | { kind: 'op'; value: '=' | '!=' };

/**
 * The subset of Drive's search language the project needs: `'<id>' in parents`,
 * `name = '<n>'`, `mimeType = | != '<m>'`, `trashed = true|false`, joined by `and`.
 * Anything else is rejected loudly rather than silently matching too much.
 */
export function parseQuery(q: string): ItemPredicate {
  const tokens = tokenize(q);
  const clauses: ItemPredicate[] = [];
  let i = 0;
  const next = (): Token | undefined => tokens[i++];
  while (i < tokens.length) {
    if (clauses.length > 0) {
      const joiner = next();
      if (joiner?.kind !== 'word' || joiner.value.toLowerCase() !== 'and') {
        throw new QuerySyntaxError(`expected 'and' between clauses, got ${describe(joiner)}`);
      }
    }
    const first = next();
    if (first?.kind === 'string') {
      const inWord = next();
      const parentsWord = next();
      if (inWord?.kind !== 'word' || inWord.value !== 'in' || parentsWord?.value !== 'parents') {
        throw new QuerySyntaxError(`only '<id>' in parents is supported after a string literal`);
      }
      const parentId = first.value;
      clauses.push((item) => item.parents.includes(parentId));
      continue;
    }
    if (first?.kind !== 'word') throw new QuerySyntaxError(`unexpected ${describe(first)}`);
    const op = next();
    if (op?.kind !== 'op')
      throw new QuerySyntaxError(`expected = or != after ${first.value}, got ${describe(op)}`);
    const value = next();
    clauses.push(comparison(first.value, op.value, value));
  }
  if (clauses.length === 0) throw new QuerySyntaxError('empty query');
  return (item) => clauses.every((clause) => clause(item));
}

function comparison(field: string, op: '=' | '!=', value: Token | undefined): ItemPredicate {
  const negate = op === '!=';
  if (field === 'name' || field === 'mimeType') {
    if (value?.kind !== 'string') throw new QuerySyntaxError(`${field} needs a quoted string`);
    const wanted = value.value;
    return (item) => (item[field] === wanted) !== negate;
  }
  if (field === 'trashed') {
    if (value?.kind !== 'word' || (value.value !== 'true' && value.value !== 'false')) {
      throw new QuerySyntaxError('trashed needs true or false');
    }
    const wanted = value.value === 'true';
    return (item) => (item.trashed === wanted) !== negate;
  }
  throw new QuerySyntaxError(`unsupported field '${field}'`);
}

function describe(token: Token | undefined): string {
  if (token === undefined) return 'end of query';
  return token.kind === 'string' ? `string '${token.value}'` : `'${token.value}'`;
}

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= q.length) throw new QuerySyntaxError('unterminated string literal');
        const d = q[i];
        if (d === "'") break;
        if (d === '\\') {
          const escaped = q[i + 1];
          if (escaped !== "'" && escaped !== '\\') {
            throw new QuerySyntaxError(`unsupported escape \\${escaped ?? ''} in string literal`);
          }
          value += escaped;
          i += 2;
        } else {
          value += d;
          i++;
        }
      }
      i++;
      tokens.push({ kind: 'string', value });
    } else if (c === '=') {
      tokens.push({ kind: 'op', value: '=' });
      i++;
    } else if (c === '!' && q[i + 1] === '=') {
      tokens.push({ kind: 'op', value: '!=' });
      i += 2;
    } else if (/[A-Za-z]/.test(c)) {
      const match = /^[A-Za-z]+/.exec(q.slice(i));
      const word = match ? match[0] : c;
      tokens.push({ kind: 'word', value: word });
      i += word.length;
    } else {
      throw new QuerySyntaxError(`unsupported character '${c}' at offset ${i}`);
    }
  }
  return tokens;
}
