import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ApiRequest } from './api-context';
import { routeApi } from './api-router';
import { FaultPlan, type FailOptions, type FaultTarget } from './faults';
import { FileLister } from './files-list';
import { FileWriter } from './files-write';
import { DriveApiError, googleError } from './google-errors';
import { readBody, type Reply } from './http-reply';
import {
  createServiceAccount,
  writeCredentialsFile,
  type RegisteredAccount,
  type ServiceAccount,
} from './service-account';
import { DriveStore, FOLDER_MIME } from './store';
import { TokenAuthority } from './token-endpoint';

export { DRIVE_SCOPE } from './token-endpoint';
export type { ServiceAccount, ServiceAccountCredentials } from './service-account';
export type { FailOptions, FaultTarget } from './faults';

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The status answered, or would have been answered when the connection was dropped. */
  status: number;
  outcome: 'answered' | 'dropped' | 'reset';
}

export interface EmulatedFile {
  id: string;
  name: string;
  mimeType: string;
  content: string;
  createdTime: string;
  modifiedTime: string;
}

/**
 * A Google Drive v3 REST emulator on a real loopback HTTP server, so the production code's
 * `googleapis` client, its token request and its retry logic run exactly as against Google.
 */
export class DriveEmulator {
  readonly requests: LoggedRequest[] = [];
  private readonly store = new DriveStore();
  private readonly faults = new FaultPlan();
  private readonly accounts = new Map<string, RegisteredAccount>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tokens: TokenAuthority;
  private readonly lister: FileLister;
  private readonly writer: FileWriter;

  private constructor(
    private readonly server: Server,
    readonly rootUrl: string,
    maxPageSize: number | undefined,
  ) {
    this.tokens = new TokenAuthority(this.tokenUrl, (email) => this.accounts.get(email));
    this.lister = new FileLister(this.store, maxPageSize);
    this.writer = new FileWriter(this.store);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => void this.handle(req, res));
  }

  static async start(opts: { maxPageSize?: number } = {}): Promise<DriveEmulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new DriveEmulator(server, `http://127.0.0.1:${port}/`, opts.maxPageSize);
  }

  get tokenUrl(): string {
    return `${this.rootUrl}token`;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  // --- accounts and content -------------------------------------------------------------------

  addServiceAccount(): ServiceAccount {
    const account = createServiceAccount(this.accounts.size + 1, this.tokenUrl);
    this.accounts.set(account.clientEmail, account);
    const { clientEmail, privateKeyId, privateKeyPem, credentialsJson } = account;
    return { clientEmail, privateKeyId, privateKeyPem, credentialsJson };
  }

  /** Writes the account's key file into `dir` and returns the file's path. */
  writeCredentialsFile(account: ServiceAccount, dir: string): string {
    return writeCredentialsFile(account, dir);
  }

  addSharedDrive(id: string): void {
    this.store.addSharedDrive(id);
  }

  /** `parentId` defaults to the drive's root; folders may nest. */
  addFolder(driveId: string, folderId: string, parentId: string = driveId): void {
    if (!this.store.hasDrive(driveId)) throw new Error(`unknown shared drive: ${driveId}`);
    if (this.store.driveOf(parentId) !== driveId) throw new Error(`parent not in ${driveId}`);
    this.store.create({
      id: folderId,
      name: folderId,
      mimeType: FOLDER_MIME,
      parentId,
      content: Buffer.alloc(0),
    });
  }

  /** Adds a file as a person would; `createdTime` (ISO 8601) defaults to now. */
  putFile(
    folderId: string,
    name: string,
    content: string,
    options: { mimeType?: string; createdTime?: string } = {},
  ): string {
    if (!this.store.isContainer(folderId)) throw new Error(`unknown folder: ${folderId}`);
    return this.store.create({
      name,
      mimeType: options.mimeType ?? 'application/json',
      parentId: folderId,
      content: Buffer.from(content, 'utf8'),
      createdTime: options.createdTime,
    }).id;
  }

  /** Non-trashed children of the folder, oldest first. */
  filesIn(folderId: string): EmulatedFile[] {
    return this.store.childrenOf(folderId).map((item) => ({
      id: item.id,
      name: item.name,
      mimeType: item.mimeType,
      content: item.content.toString('utf8'),
      createdTime: item.createdTime,
      modifiedTime: item.modifiedTime,
    }));
  }

  countByName(folderId: string, name: string): number {
    return this.store.childrenOf(folderId).filter((item) => item.name === name).length;
  }

  /** Moves a file to the trash as a user would in the Drive UI. */
  trashFile(id: string): void {
    const item = this.store.get(id);
    if (!item) throw new Error(`unknown file: ${id}`);
    item.trashed = true;
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  // --- faults ---------------------------------------------------------------------------------

  /** Which requests the faults below hit: Drive API calls (default), the token endpoint, or both. */
  setFaultTarget(target: FaultTarget): void {
    this.faults.target = target;
  }

  failNext(n: number, options: FailOptions): void {
    this.faults.failNext(n, options);
  }

  setLatency(ms: number): void {
    this.faults.latencyMs = ms;
  }

  outage(on: boolean, mode: '503' | 'reset' = '503'): void {
    this.faults.outage(on, mode);
  }

  /** The next n requests (of `method` only, when given) are carried out but never answered. */
  dropResponseOfNext(n: number, method: string | null = null): void {
    this.faults.dropResponseOfNext(n, method);
  }

  clearFaults(): void {
    this.faults.reset();
  }

  expireAllTokens(): void {
    this.tokens.expireAll();
  }

  // --- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.rootUrl);
    const method = req.method ?? 'GET';
    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      outcome: 'answered',
    };
    this.requests.push(entry);
    const isToken = url.pathname === '/token';
    const decision = this.faults.applies(isToken)
      ? this.faults.decide(method)
      : { kind: 'none' as const };
    const latency = this.faults.applies(isToken) ? this.faults.latencyMs : 0;

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      req.socket.destroy();
      return;
    }
    if (decision.kind === 'reset') {
      entry.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    if (decision.kind === 'reply') reply = decision.reply;
    else if (isToken && method === 'POST')
      reply = this.tokens.grant(body, req.headers['content-type']);
    else reply = this.answerApi(req, method, url, body);
    entry.status = reply.status;

    if (latency > 0) await this.delay(latency);
    if (decision.kind === 'drop-after-handling') {
      entry.outcome = 'dropped';
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
    res.end(reply.body);
  }

  private answerApi(req: IncomingMessage, method: string, url: URL, body: Buffer): Reply {
    const authProblem = this.checkBearer(req.headers.authorization);
    if (authProblem) return authProblem;
    const apiRequest: ApiRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      body,
    };
    try {
      return routeApi(apiRequest, this.lister, this.writer);
    } catch (err) {
      if (err instanceof DriveApiError) return err.reply;
      return googleError(500, { reason: 'backendError', message: `emulator bug: ${String(err)}` });
    }
  }

  private checkBearer(header: string | undefined): Reply | undefined {
    const challenge = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' };
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match) {
      return googleError(
        401,
        {
          reason: 'required',
          message: 'Login Required.',
          location: 'Authorization',
          locationType: 'header',
        },
        challenge,
      );
    }
    if (this.tokens.isValid(match[1])) return undefined;
    return googleError(
      401,
      {
        reason: 'authError',
        message: 'Invalid Credentials',
        location: 'Authorization',
        locationType: 'header',
      },
      { 'www-authenticate': `${challenge['www-authenticate']}, error="invalid_token"` },
    );
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
