// Persistence of the card image: atomic replacement of the file (temp file, fsync, rename, fsync of the
// directory), so that after a crash at any point the file holds the old image or the new one, whole; an image
// opened for writing is locked (lock.ts) so that no second process writes an older copy over it.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeCardImage, encodeCardImage, type CardImage } from './image.js';
import { CardImageError } from './errors.js';
import { CardImageLock, type CardImageLockOptions } from './lock.js';

/** Where the card keeps its image; `save` throws when the image could not be stored (the card answers 6581). */
export interface CardStore {
  save(image: CardImage): void;
  /** Lets go of the image (a file store releases its lock); later saves fail. */
  close?(): void;
}

/** The steps of one atomic write, in order; a test hook may stop the process at any of them. */
export const WRITE_POINTS = [
  'temp-created',
  'temp-half-written',
  'temp-written',
  'temp-synced',
  'renamed',
  'directory-synced',
] as const;
export type WritePoint = (typeof WRITE_POINTS)[number];

export type WriteHook = (point: WritePoint) => void;

const FILE_MODE = 0o600;

// Write to a sibling temp file, fsync it, rename over the target, fsync the directory (POSIX rename is atomic).
export function writeFileAtomic(path: string, text: string, hook: WriteHook = () => {}): void {
  const data = Buffer.from(text, 'utf8');
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w', FILE_MODE);
    hook('temp-created');
    const half = data.length >> 1;
    writeSync(fd, data, 0, half, 0);
    hook('temp-half-written');
    writeSync(fd, data, half, data.length - half, half);
    hook('temp-written');
    fsyncSync(fd);
    hook('temp-synced');
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    hook('renamed');
    syncDirectory(dirname(path));
    hook('directory-synced');
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    // Some platforms cannot fsync a directory (EISDIR, EINVAL); the rename itself already happened.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The image in a file; every save replaces the file atomically (while the lock, if any, is still held). */
export class FileCardStore implements CardStore {
  constructor(
    readonly path: string,
    private readonly hook?: WriteHook,
    private readonly lock?: CardImageLock,
  ) {}

  save(image: CardImage): void {
    this.lock?.verify();
    writeFileAtomic(this.path, encodeCardImage(image), this.hook);
  }

  close(): void {
    this.lock?.release();
  }
}

export interface OpenCardImageOptions extends CardImageLockOptions {
  readonly hook?: WriteHook;
}

/** DESIGN.md 7: opens an image file for writing, taking its lock before reading it; close the store to let go. */
export function openCardImageFile(
  path: string,
  options: OpenCardImageOptions = {},
): { image: CardImage; store: FileCardStore } {
  const lock = CardImageLock.acquire(path, options);
  try {
    return { image: loadCardImage(path), store: new FileCardStore(path, options.hook, lock) };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** An in-memory store (tests, `card apdu` without persistence); `failNext` simulates a write failure. */
export class MemoryCardStore implements CardStore {
  image: CardImage | undefined;
  saves = 0;
  failNext = false;

  save(image: CardImage): void {
    if (this.failNext) {
      this.failNext = false;
      throw new CardImageError('simulated write failure');
    }
    this.image = image;
    this.saves++;
  }
}

export function loadCardImage(path: string): CardImage {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CardImageError(
      `cannot read card image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return decodeCardImage(text);
}
