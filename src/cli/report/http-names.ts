// Names an HTTP call of a run by its method and path (DESIGN.md 4.7 RAM over HTTP, 6 the HSS and core APIs):
// the path and lengths only; bodies and the Authorization header are never read.

/** The name of a RAM-over-HTTP POST (the recorder numbers them). */
export const RAM_POST = 'RAM POST';

const NAMED_PATHS: readonly (readonly [method: string, path: RegExp, name: string])[] = [
  ['POST', /^\/ram\//, RAM_POST],
  ['PUT', /\/candidate$/, 'stage candidate'],
  ['POST', /\/candidate\/commit$/, 'commit candidate'],
  ['POST', /\/candidate\/abort$/, 'abort candidate'],
  ['GET', /\/subscribers\/[^/]+$/, 'read subscriber'],
  ['GET', /\/subscribers$/, 'list subscribers'],
  ['POST', /\/generate-auth-data$/, 'generate 5G AKA vector'],
  ['POST', /\/generate-eps-auth-data$/, 'generate EPS AKA vector'],
  ['POST', /\/auth-events$/, 'report auth event'],
  ['POST', /^\/core\/v1\/attach$/, 'attach (IMSI)'],
  ['POST', /^\/core\/v1\/attach\/[^/]+\/response$/, 'attach response (RES*)'],
  ['POST', /^\/core\/v1\/detach$/, 'detach'],
  ['POST', /^\/core\/v1\/ues\/[^/]+\/push$/, 'push'],
];

/** "stage candidate", or "PATCH /x/y" when the path is not one of the run's known calls. */
export function httpCallName(method: string, pathname: string): string {
  for (const [m, re, name] of NAMED_PATHS) if (m === method && re.test(pathname)) return name;
  return `${method} ${pathname}`;
}
