import fc from 'fast-check';
import { encodeRecord } from '../../../src/storage/record-codec';
import { jsonPayload, recoverRecords } from '../../../src/storage/record-recovery';
import { StoreCorruptError } from '../../../src/storage/user-store';
import { FUZZ_PARAMS } from '../../support/fuzz-runs';

interface Entry {
  index: number;
  data: string;
}
const isEntry = (v: unknown): v is Entry =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Entry).index === 'number' &&
  typeof (v as Entry).data === 'string';
const parse = jsonPayload(isEntry);

function file(entries: Entry[]): { bytes: Buffer; ends: number[] } {
  const records = entries.map((e) => encodeRecord(Buffer.from(JSON.stringify(e))));
  const ends: number[] = [];
  let at = 0;
  for (const r of records) ends.push((at += r.length));
  return { bytes: Buffer.concat(records), ends };
}

const entries = fc
  .array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 12 })
  .map((datas) => datas.map((data, i) => ({ index: i + 1, data })));

/**
 * Whatever happens to the bytes, reading the log either stops the node (StoreCorruptError) or
 * returns entries that were written, in order, with every record wholly before the damage:
 * nothing committed is silently lost and nothing invented.
 */
function checkRecovery(original: Entry[], ends: number[], damaged: Buffer, firstBad: number) {
  let items: Entry[];
  try {
    items = recoverRecords(damaged, 'raft.log', parse).items;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreCorruptError);
    return;
  }
  const intact = ends.filter((end) => end <= firstBad).length;
  expect(items.length).toBeGreaterThanOrEqual(intact);
  expect(items).toEqual(original.slice(0, items.length));
}

describe('log records, fuzzed', () => {
  it('random byte changes: the node stops, or keeps every record before the damage', () => {
    fc.assert(
      fc.property(
        entries,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (written, flips) => {
          const { bytes, ends } = file(written);
          const damaged = Buffer.from(bytes);
          let firstBad = bytes.length;
          for (const [at, xor] of flips) {
            const i = at % bytes.length;
            damaged[i] ^= xor;
            firstBad = Math.min(firstBad, i);
          }
          checkRecovery(written, ends, damaged, firstBad);
        },
      ),
      FUZZ_PARAMS,
    );
  });

  it('a crash cutting the file anywhere loses only the record it cut', () => {
    fc.assert(
      fc.property(entries, fc.nat(), (written, cut) => {
        const { bytes, ends } = file(written);
        const at = cut % (bytes.length + 1);
        const r = recoverRecords(bytes.subarray(0, at), 'raft.log', parse);
        const whole = ends.filter((end) => end <= at).length;
        expect(r.items).toEqual(written.slice(0, whole));
        expect(r.validBytes).toBe(whole === 0 ? 0 : ends[whole - 1]);
      }),
      FUZZ_PARAMS,
    );
  });

  it('garbage appended after the last record is a torn tail or stops the node', () => {
    fc.assert(
      fc.property(entries, fc.uint8Array({ minLength: 1, maxLength: 64 }), (written, junk) => {
        const { bytes, ends } = file(written);
        checkRecovery(written, ends, Buffer.concat([bytes, junk]), bytes.length);
      }),
      FUZZ_PARAMS,
    );
  });
});
