import type { DriveSettings } from '../config/cluster-config';

/** Drive is on when both the shared drive and the registered-users folder are named. */
export function isDriveConfigured(s: DriveSettings): boolean {
  return s.sharedDriveId !== null && s.registeredUsersFolderId !== null;
}

/** What to tell an operator about Drive at start, or null when it is simply off. */
export function driveStartupNotice(
  s: DriveSettings,
): { level: 'log' | 'warn'; line: string } | null {
  if (s.sharedDriveId === null && s.registeredUsersFolderId === null) return null;
  if (!isDriveConfigured(s)) {
    const missing = s.sharedDriveId === null ? 'SHARED_DRIVE_ID' : 'REGISTERED_USERS_FOLDER_ID';
    return {
      level: 'warn',
      line: `Google Drive needs both SHARED_DRIVE_ID and REGISTERED_USERS_FOLDER_ID; ${missing} is not set, so registrations are kept on the embedded store only`,
    };
  }
  return {
    level: 'log',
    line: `Google Drive on: shared drive ${s.sharedDriveId}, folder ${s.registeredUsersFolderId}, credentials ${s.credentialsPath}, API ${s.apiRootUrl}`,
  };
}
