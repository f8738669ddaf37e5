import { createHash, randomBytes } from 'node:crypto';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';

export interface DriveItem {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  /** The shared drive holding the item; every item in this emulator lives in one. */
  driveId: string;
  content: Buffer;
  trashed: boolean;
  createdTime: string;
  modifiedTime: string;
  /** Creation order; timestamps can tie within a millisecond, paging must not. */
  seq: number;
}

/** Drive ids are opaque ~33-character URL-safe strings; mimic that so no caller parses them. */
export function newDriveId(): string {
  return '1' + randomBytes(24).toString('base64url').slice(0, 32);
}

export class DriveStore {
  private readonly drives = new Set<string>();
  private readonly items = new Map<string, DriveItem>();
  private seq = 0;

  addSharedDrive(id: string): void {
    if (this.drives.has(id) || this.items.has(id)) throw new Error(`id already used: ${id}`);
    this.drives.add(id);
  }

  hasDrive(id: string): boolean {
    return this.drives.has(id);
  }

  /** A shared drive's id doubles as its root folder's id, as in real Drive. */
  isContainer(id: string): boolean {
    if (this.drives.has(id)) return true;
    const item = this.items.get(id);
    return item !== undefined && item.mimeType === FOLDER_MIME && !item.trashed;
  }

  driveOf(containerId: string): string | undefined {
    if (this.drives.has(containerId)) return containerId;
    return this.items.get(containerId)?.driveId;
  }

  get(id: string): DriveItem | undefined {
    return this.items.get(id);
  }

  all(): DriveItem[] {
    return [...this.items.values()];
  }

  create(fields: {
    id?: string;
    name: string;
    mimeType: string;
    parentId: string;
    content: Buffer;
    /** Drive lets a create set it (RFC 3339), for files copied in from elsewhere. */
    createdTime?: string;
  }): DriveItem {
    const driveId = this.driveOf(fields.parentId);
    if (driveId === undefined) throw new Error(`unknown parent: ${fields.parentId}`);
    const id = fields.id ?? newDriveId();
    if (this.items.has(id) || this.drives.has(id)) throw new Error(`id already used: ${id}`);
    const now = new Date().toISOString();
    const item: DriveItem = {
      id,
      name: fields.name,
      mimeType: fields.mimeType,
      parents: [fields.parentId],
      driveId,
      content: fields.content,
      trashed: false,
      createdTime: fields.createdTime ?? now,
      modifiedTime: now,
      seq: this.seq++,
    };
    this.items.set(id, item);
    return item;
  }

  touch(item: DriveItem): void {
    item.modifiedTime = new Date().toISOString();
  }

  delete(id: string): void {
    this.items.delete(id);
    for (const child of this.all()) if (child.parents.includes(id)) this.delete(child.id);
  }

  childrenOf(folderId: string): DriveItem[] {
    return this.all()
      .filter((i) => i.parents.includes(folderId) && !i.trashed)
      .sort((a, b) => a.seq - b.seq);
  }
}

export function md5Hex(content: Buffer): string {
  return createHash('md5').update(content).digest('hex');
}
