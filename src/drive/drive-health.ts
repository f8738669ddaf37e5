/** The last outcome of any Drive call, for GET /. */
export class DriveHealth {
  lastError: string | null = null;
  /** ISO time of the last call Drive answered well. */
  lastSuccessAt: string | null = null;
  /** Every failed call since start, for /metrics. */
  failures = 0;

  failed(message: string): void {
    this.lastError = message;
    this.failures++;
  }

  succeeded(wallMs: number): void {
    this.lastSuccessAt = new Date(wallMs).toISOString();
  }
}
