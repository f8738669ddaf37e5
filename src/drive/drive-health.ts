/** The last outcome of any Drive call, for GET /. */
export class DriveHealth {
  lastError: string | null = null;
  /** ISO time of the last call Drive answered well. */
  lastSuccessAt: string | null = null;

  failed(message: string): void {
    this.lastError = message;
  }

  succeeded(wallMs: number): void {
    this.lastSuccessAt = new Date(wallMs).toISOString();
  }
}
