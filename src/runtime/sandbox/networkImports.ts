/**
 * The network a guest gets: an instance-local `wasi:sockets` that refuses DNS, TCP and UDP, and
 * `wasi:http` whose outgoing handler sends requests only to allowed hosts (a refusal is recorded as a
 * denial before any connection is made).
 */
import { http, sockets } from '@bytecodealliance/preview2-shim';
import { isHostAllowed } from '../network.ts';
import type { Denial } from '../types.ts';

/** The node build's `createSockets` (the package's types describe the browser build). */
type NodeSockets = {
  createSockets(config: { enableNetwork: boolean }): {
    instanceNetwork: unknown;
    network: unknown;
    ipNameLookup: unknown;
    tcp: unknown;
    tcpCreateSocket: unknown;
    udp: unknown;
    udpCreateSocket: unknown;
  };
};

/** `{tag: 'HTTPS'}` (wasi:http scheme) -> `https`; the shim sends https when no scheme is set. */
function schemeName(scheme: { tag: string; val?: string } | undefined): string {
  if (scheme === undefined) return 'https';
  return scheme.tag === 'other' ? String(scheme.val).toLowerCase() : scheme.tag.toLowerCase();
}

/** The `wasi:sockets/*` and `wasi:http/*` imports of one instance. */
export function networkImports(
  allowedHosts: readonly string[],
  deny: (denial: Denial) => void,
): Record<string, unknown> {
  const net = (sockets as unknown as NodeSockets).createSockets({ enableNetwork: false });
  // The shim answers a denied lookup with `permanent-resolver-failure`; `access-denied` says why.
  const ipNameLookup = {
    ...(net.ipNameLookup as object),
    resolveAddresses(): never {
      throw 'access-denied';
    },
  };
  const outgoingHandler = {
    handle(
      request: { authority(): string | undefined; scheme(): { tag: string; val?: string } | undefined },
      options?: unknown,
    ): unknown {
      const scheme = schemeName(request.scheme());
      if (!isHostAllowed(request.authority(), allowedHosts, scheme)) {
        // JS guests (fetch) see only a generic host error; the denial tells the caller why.
        deny({ kind: 'network', scheme, authority: request.authority() ?? '' });
        throw { tag: 'HTTP-request-denied' };
      }
      return http.outgoingHandler.handle(request as never, options as never);
    },
  };
  return {
    'wasi:sockets/instance-network': net.instanceNetwork,
    'wasi:sockets/network': net.network,
    'wasi:sockets/ip-name-lookup': ipNameLookup,
    'wasi:sockets/tcp': net.tcp,
    'wasi:sockets/tcp-create-socket': net.tcpCreateSocket,
    'wasi:sockets/udp': net.udp,
    'wasi:sockets/udp-create-socket': net.udpCreateSocket,
    'wasi:http/types': http.types,
    'wasi:http/outgoing-handler': outgoingHandler,
  };
}
