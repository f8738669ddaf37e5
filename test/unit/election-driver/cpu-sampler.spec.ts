import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuSampler, type CpuSources } from '../../../src/election/cpu-sampler';

/** Counters that move only when a test says so: a machine of `cores` cores and this process. */
class FakeCpu implements CpuSources {
  idle = 0;
  total = 0;
  micros = 0;
  wall = 0;

  constructor(readonly cores: number) {}

  /** `ms` of wall time pass: the machine is `machinePct` busy, this process uses `ownCpuMs`. */
  pass(ms: number, machinePct: number, ownCpuMs: number): void {
    this.wall += ms;
    this.total += ms * this.cores;
    this.idle += ms * this.cores * (1 - machinePct / 100);
    this.micros += ownCpuMs * 1000;
  }

  machineTimes() {
    return { idle: this.idle, total: this.total, cores: this.cores };
  }
  processMicros() {
    return this.micros;
  }
  wallMs() {
    return this.wall;
  }
}

describe('CpuSampler', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cpu-sampler-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("subtracts this process's share of all cores over the same window", () => {
    const cpu = new FakeCpu(2);
    const sampler = new CpuSampler(null, cpu);
    // 300 ms of CPU in 1000 ms of a 2-core machine is 15 points of its 60.
    cpu.pass(1000, 60, 300);
    expect(sampler.sample()).toEqual({ machine: 60, background: 45 });
  });

  it('measures each window since the previous sample, not since start', () => {
    const cpu = new FakeCpu(4);
    const sampler = new CpuSampler(null, cpu);
    cpu.pass(500, 80, 1000);
    expect(sampler.sample()).toEqual({ machine: 80, background: 30 });
    // Leadership moved away: the same machine load is now mostly someone else's.
    cpu.pass(500, 80, 100);
    expect(sampler.sample()).toEqual({ machine: 80, background: 75 });
  });

  it('takes the machine load from CPU_LOAD_FILE and subtracts the own share from it', () => {
    const file = join(dir, 'load');
    writeFileSync(file, '50\n');
    const cpu = new FakeCpu(2);
    const sampler = new CpuSampler(file, cpu);
    cpu.pass(1000, 90, 200);
    expect(sampler.sample()).toEqual({ machine: 50, background: 40 });
  });

  it('clamps the background at 0 when the own share exceeds the machine figure', () => {
    const file = join(dir, 'load');
    writeFileSync(file, '5');
    const cpu = new FakeCpu(1);
    const sampler = new CpuSampler(file, cpu);
    cpu.pass(1000, 30, 200);
    expect(sampler.sample()).toEqual({ machine: 5, background: 0 });
  });

  it('clamps an own share above 100 (threads on more cores than the count says)', () => {
    const cpu = new FakeCpu(1);
    const sampler = new CpuSampler(null, cpu);
    cpu.pass(1000, 100, 1500);
    expect(sampler.sample()).toEqual({ machine: 100, background: 0 });
  });

  it('measures again when CPU_LOAD_FILE is unreadable or not a number', () => {
    const file = join(dir, 'load');
    writeFileSync(file, 'busy');
    const cpu = new FakeCpu(2);
    const sampler = new CpuSampler(file, cpu);
    cpu.pass(1000, 40, 100);
    expect(sampler.sample()).toEqual({ machine: 40, background: 35 });
    rmSync(file);
    cpu.pass(1000, 20, 100);
    expect(sampler.sample()).toEqual({ machine: 20, background: 15 });
  });

  it('keeps the last figures over a window in which no time passed', () => {
    const cpu = new FakeCpu(2);
    const sampler = new CpuSampler(null, cpu);
    cpu.pass(1000, 60, 300);
    sampler.sample();
    expect(sampler.sample()).toEqual({ machine: 60, background: 45 });
  });
});
