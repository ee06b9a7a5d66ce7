/** The shapes of a component's permission policy (wassette's `policy.yaml`). */

/** An access mode of a storage grant. */
export type AccessMode = 'read' | 'write';

/** `{uri: "fs:///abs/dir", access: [read, write]}`. */
export interface StoragePermission {
  /** `fs://` followed by an absolute, normalized path (no `.`/`..` segments, no trailing slash). */
  uri: string;
  /** Non-empty, no duplicates. `write` alone still lets the guest read (a preopen cannot be write-only). */
  access: AccessMode[];
}

/** `{host: "api.example.com"}`; also `host:port`, `https://host`, `https://host:port`, `*.example.com`. */
export interface NetworkPermission {
  host: string;
}

/** `{key: "API_KEY"}`. */
export interface EnvironmentPermission {
  key: string;
}

/** The `permissions` section. A section is absent when it allows nothing. */
export interface Permissions {
  storage?: { allow: StoragePermission[] };
  network?: { allow: NetworkPermission[] };
  environment?: { allow: EnvironmentPermission[] };
  /** `memory` is a Kubernetes-style quantity (`512Mi`, `1Gi`, `1000000`). */
  resources?: { limits: { memory: string } };
}

/** A parsed, validated policy document. */
export interface Policy {
  /** `1.x` (as in wassette, only major version 1 is understood). */
  version: string;
  description?: string;
  permissions: Permissions;
}
