/**
 * `wasmactor component push FILE oci://REGISTRY/REPO:TAG`: publishes a component in the wasm OCI artifact
 * layout (the one `wkg oci push` writes and wassette loads) and prints the reference pinned to the
 * manifest digest, which `load-component` accepts. Credentials come from the docker config.
 */
import { readComponentTypes } from '../../runtime/index.ts';
import { McpError } from '../McpError.ts';
import {
  ANNOTATION_DESCRIPTION,
  ANNOTATION_TITLE,
  ANNOTATION_VERSION,
  parseOciReference,
  pushComponent,
} from '../sources/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { commandFailed, fail, out, parseCommand } from './commandArgs.ts';

export const pushUsage = `Usage: wasmactor component push <file.wasm> oci://REGISTRY/REPOSITORY:TAG [options]

Publishes a component to an OCI registry as a WebAssembly artifact (config
application/vnd.wasm.config.v0+json, one application/wasm layer: the layout of wkg and
wassette) and prints the reference pinned to its digest (oci://REGISTRY/REPOSITORY@sha256:...).
HTTPS, except for registries on 127.0.0.1, localhost or [::1]. Credentials: the "auths" entry of the
registry in ~/.docker/config.json (or $DOCKER_CONFIG/config.json), as "docker login" writes it.

Options:
  --description TEXT   the org.opencontainers.image.description annotation (search-components shows it;
                       default: the component's own description, as \`wasm-tools metadata add\` writes it)
  --version VERSION    the org.opencontainers.image.version annotation (default: the component's version)
  --title TEXT         the org.opencontainers.image.title annotation (default: the repository's last segment)
  --timeout SECONDS    give up after this long (default 300)
  -h, --help           show this help
`;

const OPTIONS = {
  description: { type: 'string' },
  version: { type: 'string' },
  title: { type: 'string' },
  timeout: { type: 'string' },
} as const;

const NAME = 'component push';
const DEFAULT_TIMEOUT_S = 300;

/** Runs `wasmactor component push ...` (the arguments after `push`); resolves to the exit code. */
export async function pushCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand({ name: NAME, usage: pushUsage, options: OPTIONS }, args, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 2) {
    return fail(
      io,
      NAME,
      `takes a component file and an oci:// reference (see: wasmactor component push --help)`,
    );
  }
  const [file, target] = positionals as [string, string];
  if (!target.startsWith('oci://')) {
    return fail(io, NAME, `${target} is not an oci:// reference; write oci://REGISTRY/REPOSITORY:TAG`);
  }
  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    return fail(io, NAME, `--timeout must be a positive number of seconds (got ${values.timeout})`);
  }
  let reference: ReturnType<typeof parseOciReference>;
  try {
    reference = parseOciReference(target);
  } catch (error) {
    if (error instanceof McpError) return fail(io, NAME, error.message);
    throw error;
  }
  if (reference.digest !== undefined) {
    return fail(
      io,
      NAME,
      `push to a tag, not a digest (oci://REGISTRY/REPOSITORY:TAG); the digest is printed after the push`,
    );
  }
  const annotations: Record<string, string> = {};
  if (values.title !== undefined) annotations[ANNOTATION_TITLE] = values.title;
  if (values.description !== undefined) annotations[ANNOTATION_DESCRIPTION] = values.description;
  if (values.version !== undefined) annotations[ANNOTATION_VERSION] = values.version;
  try {
    // Decoded like any load, so that what is published is a component wasmactor can serve.
    const { bytes } = await readComponentTypes({ path: file });
    const pushed = await pushComponent(reference, bytes, { timeoutMs: timeout * 1000, annotations });
    io.stderr.write(`wasmactor: pushed ${file} (${bytes.byteLength} bytes) to ${target}\n`);
    out(io, pushed.pinned);
    return 0;
  } catch (error) {
    // A missing file, a registry that cannot be reached or refuses: exit 1, named `component push`.
    return commandFailed(io, NAME, error);
  }
}
