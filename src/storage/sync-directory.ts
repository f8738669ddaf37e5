import { open } from 'node:fs/promises';

/** Makes a new or renamed file's directory entry durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
