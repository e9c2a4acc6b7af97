// The pino logger of a long-running service (`ltku server|hss|core serve`; issue 11). On the process's own
// stderr it writes through a buffered sonic-boom: lines are gathered and written LOG_BUFFER_BYTES at a time
// (one write(2) per ~15 lines instead of one per line), at least every LOG_FLUSH_MS while the service is
// quiet, at once after a line of level error or above (a security alarm is never left in the buffer), and
// synchronously when the service stops and at process exit (an error thrown out of the command, an uncaught
// exception, process.exit). A SIGKILL, a signal the process does not handle (SIGHUP, SIGQUIT) or a crash of the
// runtime loses at most the info and warn lines of the last LOG_FLUSH_MS. Writes stay synchronous (no
// thread-pool round trip); a direct write to stderr (Node's own warnings) may come out before lines still
// buffered. A stream given in place of stderr (the tests' captured output) is written line by line, as before.
import pino from 'pino';

/** Lines are written once this much is buffered (or at the next flush). */
export const LOG_BUFFER_BYTES = 4096;
/** The most time a line waits in the buffer while the service is quiet. */
export const LOG_FLUSH_MS = 1000;
/** pino's level number of `error`: lines at or above it are written out at once. */
const LEVEL_ERROR = 50;

export interface ServiceLog {
  readonly logger: pino.Logger;
  /** Writes out what is buffered; later lines are still written (at the latest at exit). Idempotent. */
  close(): void;
}

export function openServiceLog(options: pino.LoggerOptions, stderr: NodeJS.WritableStream): ServiceLog {
  if (stderr !== process.stderr) {
    return { logger: pino(options, stderr as pino.DestinationStream), close: () => {} };
  }
  const destination = pino.destination({
    dest: process.stderr.fd,
    sync: true,
    minLength: LOG_BUFFER_BYTES,
    periodicFlush: LOG_FLUSH_MS,
  });
  const flush = () => {
    try {
      destination.flushSync();
    } catch {
      // stderr is gone (EPIPE): nothing can be written any more
    }
  };
  // pino writes out a synchronous destination at exit only when it does not buffer: this one does
  process.on('exit', flush);
  const logger = pino(
    {
      ...options,
      hooks: {
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= LEVEL_ERROR) flush();
        },
      },
    },
    destination,
  );
  return { logger, close: flush };
}
