import { describeRandomFaults } from './sim/random-batches';

// Seeds 1-2000 of a 3-node cluster (see random-batches.ts for what each run checks).
describeRandomFaults(3, 2000, 4);
