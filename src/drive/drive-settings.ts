import type { DriveSettings } from '../config/cluster-config';

/** Drive is on when both the shared drive and the registered-users folder are named. */
export function isDriveConfigured(s: DriveSettings): boolean {
  return s.sharedDriveId !== null && s.registeredUsersFolderId !== null;
}

/** What to tell an operator who set some Drive variables, or null when there is nothing to say. */
export function driveStartupNotice(s: DriveSettings): string | null {
  if (s.sharedDriveId === null && s.registeredUsersFolderId === null) return null;
  if (!isDriveConfigured(s)) {
    const missing = s.sharedDriveId === null ? 'SHARED_DRIVE_ID' : 'REGISTERED_USERS_FOLDER_ID';
    return `Google Drive needs both SHARED_DRIVE_ID and REGISTERED_USERS_FOLDER_ID; ${missing} is not set`;
  }
  return 'SHARED_DRIVE_ID and REGISTERED_USERS_FOLDER_ID are set, but Google Drive storage is not built yet: registrations are kept on the embedded store only';
}
