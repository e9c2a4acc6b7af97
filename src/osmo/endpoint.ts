// A TCP endpoint of an Osmocom process (GSUP, CTRL or VTY).

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export function endpointName(at: Endpoint): string {
  return `${at.host}:${at.port}`;
}
