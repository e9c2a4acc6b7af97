// ShSs = ECDH(static key, peer's static key) is the same for every session between the same two parties
// (GPC Amd F 3.1.2), so both roles cache it per own key pair and peer key: one scalar multiplication saved
// per handshake. Keyed by the EcKeyPair object (no secret ends up in a map key); bounded, first in first out.
import { toHex } from '../../bytes/index.js';
import { ecdh, type EcKeyPair } from '../../crypto/index.js';

const PEERS_PER_KEY = 1024;
const cache = new WeakMap<EcKeyPair, Map<string, Uint8Array>>();

/** ECDH(own static private key, peer static public key), from the cache when this pair was seen before. */
export function staticSharedSecret(own: EcKeyPair, peerPublicKey: Uint8Array): Uint8Array {
  let peers = cache.get(own);
  if (peers === undefined) {
    peers = new Map();
    cache.set(own, peers);
  }
  const id = toHex(peerPublicKey);
  let shSs = peers.get(id);
  if (shSs === undefined) {
    shSs = Uint8Array.from(ecdh(own.curve, own.privateKey, peerPublicKey));
    if (peers.size >= PEERS_PER_KEY) peers.delete(peers.keys().next().value as string);
    peers.set(id, shSs);
  }
  return Uint8Array.from(shSs);
}
