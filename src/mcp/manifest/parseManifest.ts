/**
 * Reads a manifest: YAML with a top-level `components:` list of `{id, source, stateful?, sha256?,
 * permissions? | policy?}`. Every problem is reported (all of them, in line order) as
 * `FILE:LINE: components[2].source: what is wrong`, and the whole manifest is refused: a server never
 * starts from half a manifest. Inline `permissions` are read by the policy parser itself (same rules,
 * same words), at their lines in the manifest; a `policy` file is read and checked here too.
 *
 * Scalars are read with YAML's failsafe schema, as policy files are (`version: 1.0` stays "1.0"), so
 * `stateful` is checked by hand: `true` or `false`, unquoted.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Node, Scalar } from 'yaml';
import { RuntimeError, readBoundedFile } from '../../runtime/index.ts';
import {
  type GrantGuard,
  type Policy,
  readPermissionsBlock,
  readPolicyFile,
  yaml,
  yamlProblem,
} from '../../runtime/policy/index.ts';
import { isValidComponentId } from '../ComponentStore.ts';
import { McpError } from '../McpError.ts';
import { canonicalSource, normalizeSha256, parseSourceReference } from '../sources/index.ts';
import type { Manifest, ManifestEntry } from './types.ts';

/** Largest manifest read: a manifest of a thousand components is far below. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const ENTRY_KEYS = ['id', 'source', 'stateful', 'sha256', 'permissions', 'policy'] as const;

interface Problem {
  line: number;
  field: string;
  problem: string;
}

/** What the reading of one manifest collects. */
class ManifestReader {
  readonly problems: Problem[] = [];
  readonly lines = new (yaml().LineCounter)();

  lineOf(node: Node | null | undefined): number {
    return this.lines.linePos(node?.range?.[0] ?? 0).line;
  }

  report(node: Node | null | undefined, field: string, problem: string): void {
    this.problems.push({ line: this.lineOf(node), field, problem });
  }

  /** A plain or quoted string scalar, or undefined (reported). */
  string(node: Node | null | undefined, field: string): string | undefined {
    if (yaml().isScalar(node) && typeof node.value === 'string' && !isNullish(node)) return node.value;
    this.report(node, field, 'expected a string');
    return undefined;
  }
}

function isNullish(node: Node | null | undefined): boolean {
  if (node === null || node === undefined) return true;
  return (
    yaml().isScalar(node) &&
    (node as Scalar).type === 'PLAIN' &&
    ['', '~', 'null', 'Null', 'NULL'].includes(String(node.value))
  );
}

/** The entries of a mapping node by key, reporting unknown keys; undefined (reported) if not a mapping. */
function mapping(
  r: ManifestReader,
  node: Node | null | undefined,
  field: string,
  known: readonly string[],
): Map<string, { key: Node; value: Node | null }> | undefined {
  if (!yaml().isMap(node)) {
    r.report(node, field, 'expected a mapping (key: value)');
    return undefined;
  }
  const entries = new Map<string, { key: Node; value: Node | null }>();
  for (const pair of node.items) {
    const key = pair.key as Node;
    const name = yaml().isScalar(key) ? String(key.value) : '';
    if (!known.includes(name)) {
      const at = field === '' ? name : `${field}.${name}`;
      r.report(key, at || field, `unknown key (expected ${known.join(', ')})`);
      continue;
    }
    entries.set(name, { key, value: (pair.value as Node | null) ?? null });
  }
  return entries;
}

/** The policy of an entry from its `policy` file (relative to the manifest); problems reported. */
async function policyFile(
  r: ManifestReader,
  node: Node | null,
  field: string,
  baseDir: string,
  guard: GrantGuard,
): Promise<{ policy: Policy; path: string } | undefined> {
  const text = r.string(node, field);
  if (text === undefined) return undefined;
  if (text.trim() === '') {
    r.report(node, field, 'empty (give the path of a policy.yaml, relative to the manifest)');
    return undefined;
  }
  const path = isAbsolute(text) ? resolve(text) : resolve(baseDir, text);
  try {
    return { policy: await readPolicyFile(path, guard), path };
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    // The policy parser's own lines (`policy.yaml:3: permissions...: why`) follow, indented.
    const why = error.message.replace(/\n/g, '\n    ');
    r.report(node, field, `cannot use the policy file ${path}: ${why}`);
    return undefined;
  }
}

/** Reads one entry of `components:`; undefined when it has problems (they are reported). */
async function readEntry(
  r: ManifestReader,
  item: Node,
  field: string,
  baseDir: string,
  guard: GrantGuard,
): Promise<ManifestEntry | undefined> {
  const keys = mapping(r, item, field, ENTRY_KEYS);
  if (keys === undefined) return undefined;
  const before = r.problems.length;
  const idNode = keys.get('id');
  let id: string | undefined;
  if (idNode === undefined) r.report(item, field, 'missing id (the name its tools are served under)');
  else {
    id = r.string(idNode.value, `${field}.id`);
    if (id !== undefined && !isValidComponentId(id)) {
      r.report(
        idNode.value,
        `${field}.id`,
        `"${id}" is not a valid component id (1 to 128 letters, digits, ".", "_" and "-", not starting with "." or "-")`,
      );
    }
  }
  const sourceNode = keys.get('source');
  let source: ManifestEntry['source'] | undefined;
  if (sourceNode === undefined) r.report(item, field, 'missing source (a path, file://, https:// or oci://)');
  else {
    const text = r.string(sourceNode.value, `${field}.source`);
    try {
      // The parser of load-component's sources, with this file's folder as the working directory.
      source = text === undefined ? undefined : parseSourceReference(text, baseDir, { argument: 'source' });
    } catch (error) {
      if (!(error instanceof McpError)) throw error;
      r.report(sourceNode.value, `${field}.source`, error.message);
    }
  }
  let stateful = false;
  const statefulNode = keys.get('stateful');
  if (statefulNode !== undefined) {
    const value = statefulNode.value;
    const plain =
      yaml().isScalar(value) && (value as Scalar).type === 'PLAIN' ? String(value.value) : undefined;
    if (plain === 'true' || plain === 'false') stateful = plain === 'true';
    else r.report(value ?? statefulNode.key, `${field}.stateful`, 'expected true or false');
  }
  let sha256: string | undefined;
  const shaNode = keys.get('sha256');
  if (shaNode !== undefined) {
    const text = r.string(shaNode.value, `${field}.sha256`);
    sha256 = text === undefined ? undefined : normalizeSha256(text);
    if (text !== undefined && sha256 === undefined)
      r.report(shaNode.value, `${field}.sha256`, 'expected 64 hex digits (the sha256 of the .wasm)');
  }
  if (source?.kind === 'url' && source.sha256 !== undefined) {
    if (sha256 !== undefined && sha256 !== source.sha256) {
      r.report(shaNode?.value, `${field}.sha256`, 'differs from the #sha256= pin of the source');
    }
    sha256 = source.sha256;
  }
  const permissions = keys.get('permissions');
  const policyNode = keys.get('policy');
  let policy: Policy = { version: '1.0', permissions: {} };
  let policyFrom = 'deny-all';
  if (permissions !== undefined && policyNode !== undefined) {
    const second = r.lineOf(permissions.key) > r.lineOf(policyNode.key) ? permissions.key : policyNode.key;
    r.report(
      second,
      field,
      'permissions and policy exclude each other: give the permissions inline or as a policy file, not both',
    );
  } else if (permissions !== undefined) {
    const block = readPermissionsBlock(
      isNullish(permissions.value) ? null : permissions.value,
      r.lines,
      guard,
    );
    for (const p of block.problems) r.problems.push({ ...p, field: `${field}.${p.field}` });
    policy = { version: '1.0', permissions: block.permissions };
    policyFrom = 'inline';
  } else if (policyNode !== undefined) {
    const read = await policyFile(r, policyNode.value, `${field}.policy`, baseDir, guard);
    if (read !== undefined) {
      policy = read.policy;
      policyFrom = read.path;
    }
  }
  if (r.problems.length > before || id === undefined || source === undefined) return undefined;
  return {
    id,
    source,
    sourceText: canonicalSource(source),
    stateful,
    ...(sha256 === undefined ? {} : { sha256 }),
    policy,
    policyFrom,
    at: { field, line: r.lineOf(item) },
  };
}

/**
 * Parses manifest `text`; `path` names the file in messages and anchors relative paths. Throws
 * `McpError('bad-manifest')` listing every problem as `PATH:LINE: field: why`.
 */
export async function parseManifest(text: string, path: string, guard: GrantGuard = {}): Promise<Manifest> {
  const r = new ManifestReader();
  const baseDir = dirname(path);
  const doc = yaml().parseDocument(text, { schema: 'failsafe', lineCounter: r.lines, uniqueKeys: true });
  for (const error of doc.errors) {
    const line = error.linePos?.[0]?.line ?? r.lines.linePos(error.pos[0]).line;
    r.problems.push({ line, field: '(yaml)', problem: yamlProblem(error.code) });
  }
  const components: ManifestEntry[] = [];
  if (doc.errors.length === 0) {
    const root = doc.contents as Node | null;
    if (isNullish(root))
      r.report(root, '(top level)', 'empty manifest: write components: followed by a list');
    const top = isNullish(root) ? undefined : mapping(r, root, '', ['components']);
    const list = top?.get('components');
    if (top !== undefined && list === undefined)
      r.report(root, 'components', 'missing (the list of components)');
    if (list !== undefined && !isNullish(list.value) && !yaml().isSeq(list.value)) {
      r.report(list.value, 'components', 'expected a list (- id: ...)');
    }
    const items = yaml().isSeq(list?.value) ? (list.value.items as Node[]) : [];
    const seen = new Map<string, { field: string; line: number }>();
    for (const [index, item] of items.entries()) {
      const field = `components[${index}]`;
      const entry = await readEntry(r, item, field, baseDir, guard);
      // Duplicates are found also among entries with other problems: every problem is listed at once.
      const idNode = yaml().isMap(item) ? (item.get('id', true) as Node | undefined) : undefined;
      const id = yaml().isScalar(idNode) && typeof idNode.value === 'string' ? idNode.value : undefined;
      if (id === undefined) continue;
      const first = seen.get(id);
      if (first !== undefined) {
        r.report(idNode, `${field}.id`, `duplicate id "${id}" (${first.field}, line ${first.line}, has it)`);
        continue;
      }
      seen.set(id, { field, line: r.lineOf(item) });
      if (entry !== undefined) components.push(entry);
    }
  }
  if (r.problems.length > 0) {
    const lines = r.problems
      .sort((a, b) => a.line - b.line)
      .map((p) => `${path}:${p.line}: ${p.field}: ${p.problem}`);
    throw new McpError('bad-manifest', `invalid manifest ${path}:\n${lines.join('\n')}`);
  }
  return { path, components };
}

/** Reads and parses the manifest file at `path` (resolved); a file that cannot be read is `bad-manifest`. */
export async function readManifest(path: string, guard: GrantGuard = {}): Promise<Manifest> {
  const absolute = resolve(path);
  let text: string;
  try {
    const bytes = await readBoundedFile(absolute, { what: 'manifest', maxSize: MAX_MANIFEST_BYTES });
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    if (error instanceof TypeError)
      throw new McpError('bad-manifest', `manifest ${absolute} is not UTF-8 text`);
    // The reader's message names the file and the problem (`cannot read manifest PATH: ...`).
    throw new McpError('bad-manifest', (error as Error).message, { cause: error });
  }
  return parseManifest(text, absolute, guard);
}
