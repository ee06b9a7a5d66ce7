/** The per-instance WASI sandbox: what a guest may see of the host, and what it wrote. */

export { type HostCheck, isHostAllowed, type NetworkHost, parseNetworkHost } from '../network.ts';
export { createSandbox, GuestExit, MissingImportError, type Sandbox } from './createSandbox.ts';
