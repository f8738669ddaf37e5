import { pairedLine, pairedRatios, spreadOf } from '../../../bench/heartbeat/paired';

interface R {
  round: number;
  target: 'a' | 'b';
  rate: number;
}
const rateOf = (target: R['target']) => (r: R) => (r.target === target ? r.rate : null);

describe('pairedRatios (bench: ratios taken within each round)', () => {
  it('divides within each round, so a machine that slowed between rounds does not move the ratio', () => {
    // The machine ran at half speed in round 2: both series halved, the ratio stayed 0.5.
    const rounds: R[] = [
      { round: 1, target: 'a', rate: 10 },
      { round: 1, target: 'b', rate: 20 },
      { round: 2, target: 'b', rate: 10 },
      { round: 2, target: 'a', rate: 5 },
      { round: 3, target: 'a', rate: 12 },
      { round: 3, target: 'b', rate: 20 },
    ];
    expect(pairedRatios(rounds, rateOf('a'), rateOf('b'))).toEqual({
      median: 0.5,
      min: 0.5,
      max: 0.6,
      rounds: 3,
    });
  });

  it('leaves out a round that lacks either series, and is null when none has both', () => {
    const rounds: R[] = [
      { round: 1, target: 'a', rate: 10 },
      { round: 2, target: 'a', rate: 8 },
      { round: 2, target: 'b', rate: 16 },
    ];
    expect(pairedRatios(rounds, rateOf('a'), rateOf('b'))?.rounds).toBe(1);
    expect(pairedRatios(rounds.slice(0, 1), rateOf('a'), rateOf('b'))).toBeNull();
    expect(pairedLine(null)).toBe('-');
  });

  it('measures a series against itself between rounds as greatest / least', () => {
    expect(spreadOf([27_000, 18_000, 27_500])).toBeCloseTo(27_500 / 18_000);
    expect(spreadOf([27_000])).toBeNull();
  });
});
