// DESIGN.md section 3: folders are the architecture; imports only point down this table.
// Each layer lists the folders it may import (besides itself); anything else fails the build.
const allowed = {
  ports: [],
  // AKA key lengths and TUAK parameter ranges (DESIGN.md 4.5): a leaf every layer that checks keys may import.
  'aka/params': [],
  bytes: ['ports'],
  crypto: ['ports', 'bytes'],
  iso7816: ['ports', 'bytes'],
  // GSMTAP/pcap encoders and the tracing CardChannel decorator; no I/O (the sockets and files are in cli/).
  trace: ['ports', 'bytes', 'iso7816'],
  aka: ['ports', 'bytes', 'crypto'],
  pki: ['ports', 'bytes', 'crypto'],
  auth: ['ports', 'bytes', 'crypto'],
  http: ['ports', 'auth'],
  gp: ['ports', 'bytes', 'crypto', 'iso7816', 'pki', 'aka/params'],
  card: ['ports', 'bytes', 'crypto', 'iso7816', 'aka', 'pki', 'gp'],
  hss: ['ports', 'bytes', 'crypto', 'aka', 'auth', 'http'],
  // Issue 12: Osmocom IPA/CTRL/GSUP codecs and clients, the osmo-hlr launcher (an I/O edge like hss/store).
  osmo: ['ports', 'bytes'],
  server: [
    'ports',
    'bytes',
    'crypto',
    'iso7816',
    'gp',
    'pki',
    'auth',
    'http',
    'hss/client',
    'aka/params',
    'osmo',
  ],
  core: ['ports', 'bytes', 'crypto', 'aka', 'auth', 'http', 'hss/client', 'osmo'],
  ue: ['ports', 'bytes', 'crypto', 'iso7816', 'aka'],
  // Issue 11: the fleet simulator, above card and ue (many virtual cards with their UE agents in one process).
  fleet: ['ports', 'bytes', 'crypto', 'iso7816', 'aka', 'pki', 'gp', 'card', 'ue'],
};
const layers = Object.keys(allowed);
const forbidden = layers.map((layer) => ({
  name: `layer-${layer.replace('/', '-')}`,
  comment: `src/${layer} may import only: ${allowed[layer].join(', ') || 'nothing'} (DESIGN.md section 3)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/${layer}/`, ...allowed[layer].map((l) => `^src/${l}/`)],
  },
}));
forbidden.push(
  {
    name: 'hss-client-no-store',
    comment: 'The HSS client imports no store and no driver (DESIGN.md section 3)',
    severity: 'error',
    from: { path: '^src/hss/client/' },
    to: { path: ['^src/hss/(?!client/)', '^node_modules/(better-sqlite3|pg)/'] },
  },
  {
    name: 'no-cli-below',
    comment: 'Only cli/ wires concrete classes together',
    severity: 'error',
    from: { path: '^src/(?!cli/)' },
    to: { path: '^src/cli/' },
  },
  {
    name: 'no-circular',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'no-src-to-tests',
    severity: 'error',
    from: { path: '^src/' },
    to: { path: '^(tests|bench)/' },
  },
);
module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
