// A loopback TCP port that was free a moment ago, for a listener a test starts by its address.
import { createServer, type AddressInfo } from 'node:net';

/** Binds port 0 on 127.0.0.1, notes the port the kernel gave, and lets it go. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
