// A V8 .cpuprofile split into sections for the RAM bench: each sample's time goes to the innermost frame that is
// ltku code (its file: "src/server/jobs") or a package ("fastify", "pino"); failing that the innermost Node
// internal ("node:_http_server"), then the frame's own name ("(garbage collector)"). So native work (OpenSSL,
// SQLite) lands on the ltku file or package that asked for it. Idle time is left out.

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Section {
  readonly name: string;
  /** Of the profile's non-idle time. */
  readonly share: number;
}

const INSPECTOR = 'node:inspector';
const PROFILER = '(profiler)';
const PACKAGE = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;
const LTKU = /\/dist\/((?:src|bench|tests)\/.*)\.js$/;

function sectionOfUrl(url: string): { name: string; ours: boolean } | undefined {
  if (url === '') return undefined;
  const pkg = PACKAGE.exec(url);
  if (pkg !== null) return { name: pkg[1], ours: true };
  const ltku = LTKU.exec(url);
  if (ltku !== null) return { name: ltku[1], ours: true };
  return { name: url.startsWith('node:') ? url : url.replace(/^file:\/\//, ''), ours: false };
}

export function sectionsOf(profile: CpuProfile): Section[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sectionOfNode = new Map<number, string>();
  const sectionOf = (id: number): string => {
    const known = sectionOfNode.get(id);
    if (known !== undefined) return known;
    let internal: string | undefined;
    let name: string | undefined;
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const url = byId.get(x)!.callFrame.url;
      // the profiler's own messages (started and stopped from the bench)
      if (url === INSPECTOR) {
        name = PROFILER;
        break;
      }
      const s = sectionOfUrl(url);
      if (s?.ours) {
        name = s.name;
        break;
      }
      internal ??= s?.name;
    }
    const section = name ?? internal ?? byId.get(id)!.callFrame.functionName;
    sectionOfNode.set(id, section);
    return section;
  };
  const time = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const name = sectionOf(id);
    if (name === '(idle)') return;
    const dt = profile.timeDeltas[i] ?? 0;
    time.set(name, (time.get(name) ?? 0) + dt);
    total += dt;
  });
  return [...time]
    .map(([name, t]) => ({ name, share: total === 0 ? 0 : t / total }))
    .sort((a, b) => b.share - a.share);
}
