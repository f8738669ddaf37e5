import { describeRandomFaults } from './sim/random-batches';

// Seeds 1-1500 of a 5-node cluster (see random-batches.ts for what each run checks).
describeRandomFaults(5, 1500, 6);
