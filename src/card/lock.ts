// DESIGN.md section 7: a card image is served (or opened for writing) by one process at a time. Node has no
// flock, so the lock is a file beside the image, `<image>.lock`, naming its holder (pid, host, start time).
// It appears atomically and whole: written to a temp file created with O_EXCL ('wx', 0600), then hard-linked
// to the lock name (link fails if the name exists). A lock whose pid is not alive on this host is stale and
// is taken over; the lock is released on close and, as a backstop, on process exit and on fatal signals.
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { CardImageError } from './errors.js';

export const LOCK_SUFFIX = '.lock';
const LOCK_MODE = 0o600;
const LOCK_FORMAT = 'ltku-card-lock/1';
/** Rounds of "create, else judge the holder, else take over a stale lock" before giving up. */
const MAX_ATTEMPTS = 5;
/** Signals whose default action ends the process: the lock is released before it is re-raised. */
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Who holds a card image lock, as its file says. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** Tells this holder apart from an earlier process that had the same pid. */
  readonly token: string;
}

export interface CardImageLockOptions {
  /** Told (one sentence, no secrets) when a stale lock of a dead process is taken over. */
  readonly onStale?: (message: string) => void;
}

export function lockPathOf(imagePath: string): string {
  return `${imagePath}${LOCK_SUFFIX}`;
}

const held = new Map<string, CardImageLock>();

/** An exclusive lock on one card image file, held by this process until `release`. */
export class CardImageLock {
  readonly #holder: LockHolder;
  #released = false;

  private constructor(
    readonly imagePath: string,
    readonly lockPath: string,
    holder: LockHolder,
  ) {
    this.#holder = holder;
  }

  /** Takes the lock of `imagePath` or throws a CardImageError naming the image and the process holding it. */
  static acquire(imagePath: string, options: CardImageLockOptions = {}): CardImageLock {
    // One lock per file, however it is named (a symlink or another relative path must find the same lock).
    const key = existsSync(imagePath) ? realpathSync(imagePath) : resolve(imagePath);
    const lockPath = lockPathOf(key); // absolute: a later chdir must not lose it
    if (held.has(key))
      throw new CardImageError(
        `card image ${imagePath} is already open in this process (pid ${process.pid})`,
      );
    const me: LockHolder = {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      token: randomUUID(),
    };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (createLockFile(imagePath, lockPath, me)) {
        const lock = new CardImageLock(imagePath, lockPath, me);
        register(key, lock);
        return lock;
      }
      const text = readLockFile(lockPath);
      if (text === undefined) continue; // released in the meantime
      const holder = parseHolder(text);
      if (holder === undefined) {
        throw new CardImageError(
          `card image ${imagePath} is locked by ${lockPath}, which cannot be read; remove it if no process uses the image`,
        );
      }
      if (!isStale(holder)) {
        throw new CardImageError(
          `card image ${imagePath} is in use by process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt}); ` +
            `stop that process first (lock file ${lockPath})`,
        );
      }
      if (takeOver(lockPath, text, me)) {
        options.onStale?.(
          `card image ${imagePath}: took over the stale lock of process ${holder.pid} (no longer running)`,
        );
      }
    }
    throw new CardImageError(
      `card image ${imagePath}: could not take its lock ${lockPath} (it keeps changing)`,
    );
  }

  get held(): boolean {
    return !this.#released;
  }

  get holder(): LockHolder {
    return this.#holder;
  }

  /** Throws unless the lock file still names this holder (someone removed it by hand, or it was released). */
  verify(): void {
    if (this.#released) throw new CardImageError(`card image ${this.imagePath} is closed`);
    const text = readLockFile(this.lockPath);
    if (text === undefined || parseHolder(text)?.token !== this.#holder.token) {
      throw new CardImageError(`card image ${this.imagePath}: its lock ${this.lockPath} is no longer held`);
    }
  }

  /** Removes the lock file if it is still this holder's; idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    unregister(resolve(this.imagePath), this);
    const text = readLockFile(this.lockPath);
    if (text !== undefined && parseHolder(text)?.token === this.#holder.token)
      rmSync(this.lockPath, { force: true });
  }
}

// Write the holder to a private temp file, then link it to the lock name: the lock never exists half-written.
function createLockFile(imagePath: string, lockPath: string, me: LockHolder): boolean {
  const temp = `${lockPath}.${me.pid}.${me.token}.tmp`;
  let fd: number;
  try {
    fd = openSync(temp, 'wx', LOCK_MODE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CardImageError(
      code === 'ENOENT'
        ? `cannot read card image ${imagePath}: ENOENT`
        : `cannot lock card image ${imagePath}: ${code} (the lock is a file beside it, ${lockPath})`,
    );
  }
  try {
    writeSync(fd, JSON.stringify({ format: LOCK_FORMAT, ...me }) + '\n');
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    linkSync(temp, lockPath);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CardImageError(`cannot create the lock ${lockPath}: ${(e as NodeJS.ErrnoException).code}`);
  } finally {
    rmSync(temp, { force: true });
  }
}

function readLockFile(lockPath: string): string | undefined {
  try {
    return readFileSync(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CardImageError(`cannot read the lock ${lockPath}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    if (
      j.format === LOCK_FORMAT &&
      Number.isSafeInteger(j.pid) &&
      (j.pid as number) > 0 &&
      typeof j.hostname === 'string' &&
      typeof j.startedAt === 'string' &&
      typeof j.token === 'string'
    ) {
      return { pid: j.pid as number, hostname: j.hostname, startedAt: j.startedAt, token: j.token };
    }
  } catch {
    // not JSON: unreadable
  }
  return undefined;
}

// Stale: the holder ran on this host and is gone. A lock from another host is never judged stale (its pid
// means nothing here). Our own pid is stale unless this process holds that lock (an earlier process had the pid).
function isStale(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return false;
  if (holder.pid === process.pid) return ![...held.values()].some((l) => l.holder.token === holder.token);
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
}

// Move the stale lock aside under a private name, then check that what moved is the stale lock that was
// judged (another process may have taken it over and locked in between); if not, put it back.
function takeOver(lockPath: string, staleText: string, me: LockHolder): boolean {
  const aside = `${lockPath}.${me.pid}.${me.token}.stale`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new CardImageError(`cannot take over the lock ${lockPath}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const moved = readLockFile(aside);
  if (moved === staleText) {
    rmSync(aside, { force: true });
    return true;
  }
  try {
    linkSync(aside, lockPath);
  } catch {
    // Yet another process locked meanwhile: it holds the lock now, the moved one's holder will notice (verify).
  }
  rmSync(aside, { force: true });
  return false;
}

function register(key: string, lock: CardImageLock): void {
  if (held.size === 0) {
    process.on('exit', releaseAll);
    // First in line, so that the count below still sees the `once` listeners that run after this one.
    for (const s of FATAL_SIGNALS) process.prependListener(s, onFatalSignal);
  }
  held.set(key, lock);
}

function unregister(key: string, lock: CardImageLock): void {
  if (held.get(key) !== lock) return;
  held.delete(key);
  if (held.size === 0) {
    process.off('exit', releaseAll);
    for (const s of FATAL_SIGNALS) process.off(s, onFatalSignal);
  }
}

function releaseAll(): void {
  for (const lock of [...held.values()]) lock.release();
}

// Only when nobody else handles the signal (a serve command awaits it and closes the card itself): release,
// then let the signal's default action end the process.
function onFatalSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  releaseAll();
  process.kill(process.pid, signal);
}
