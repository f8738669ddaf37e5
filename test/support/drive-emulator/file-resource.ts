import { FOLDER_MIME, md5Hex, type DriveItem } from './store';

/** Every field the emulator can report for a file; `fields=` selects among these. */
export function fullResource(item: DriveItem): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    kind: 'drive#file',
    id: item.id,
    name: item.name,
    mimeType: item.mimeType,
    parents: [...item.parents],
    driveId: item.driveId,
    teamDriveId: item.driveId,
    trashed: item.trashed,
    createdTime: item.createdTime,
    modifiedTime: item.modifiedTime,
  };
  if (item.mimeType !== FOLDER_MIME) {
    resource.size = String(item.content.length);
    resource.md5Checksum = md5Hex(item.content);
  }
  return resource;
}

const DEFAULT_FILE_FIELDS = ['kind', 'id', 'name', 'mimeType'];

/** Projection of a file resource; `selection` undefined means Drive's default partial response. */
export function projectFile(item: DriveItem, selection: FieldSelection | undefined) {
  const full = fullResource(item);
  if (selection === undefined) return pick(full, DEFAULT_FILE_FIELDS);
  if (selection.has('*')) return full;
  return pick(full, [...selection.keys()]);
}

function pick(full: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (key in full) out[key] = full[key];
  return out;
}

/** Top-level field name -> nested selection (undefined when the whole field is asked for). */
export type FieldSelection = Map<string, FieldSelection | undefined>;

/**
 * A rough reading of Drive's `fields` syntax: `a,b(c,d),e/f`. Good enough to honour what a
 * client asks for; unknown names are simply absent from the answer, as Drive does for unset ones.
 */
export function parseFields(fields: string): FieldSelection {
  const out: FieldSelection = new Map();
  for (const part of splitTopLevel(fields)) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const paren = trimmed.indexOf('(');
    const slash = trimmed.indexOf('/');
    if (paren > 0 && trimmed.endsWith(')') && (slash < 0 || paren < slash)) {
      out.set(trimmed.slice(0, paren).trim(), parseFields(trimmed.slice(paren + 1, -1)));
    } else if (slash > 0) {
      out.set(trimmed.slice(0, slash).trim(), parseFields(trimmed.slice(slash + 1)));
    } else {
      out.set(trimmed, undefined);
    }
  }
  return out;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
