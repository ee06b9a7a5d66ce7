/**
 * `policy.yaml` text <-> `Policy`. Parsing is strict: every problem is reported (all of them, one per
 * line) as `<source>:<line>: <field>: <what is wrong>`, and anything wasmactor cannot enforce (wassette's
 * `deny` lists, `cidr`, `runtime`, `ipc`, cpu limits, storage wildcards) is refused rather than ignored.
 * Scalars are read with YAML's failsafe schema, so `version: 1.0` stays the string "1.0".
 *
 * Forms accepted as wassette accepts them (its policy crate deserialises with serde, which ignores
 * keys it does not know and reads an absent and a null list alike): a top-level `$schema` (an editor
 * hint) is ignored; an empty file, or one holding only comments, is the deny-all policy; a section or
 * an `allow` list left empty (`allow:`, `allow: ~`, `storage:`) means nothing granted.
 *
 * Messages never echo the file's content: `policy_path` may name any readable file (a shadow-style file
 * holds secrets on every line). A message holds the source name, line numbers, field paths built from
 * this schema's own key names and list indices (`permissions.storage.allow[1].uri`), and fixed
 * sentences. Never shown: values (a bad uri, host, key, mode, version), names of unknown keys (reported
 * at their parent's path: `permissions: unknown key (expected ...)`), and YAML's own error text (which
 * quotes tokens; replaced by a sentence per error code). The only key names shown are the ones listed
 * in `UNSUPPORTED` below, which are this module's own words.
 */
import type { LineCounter, Node } from 'yaml';
import { RuntimeError } from '../RuntimeError.ts';
import {
  broadGrantProblem,
  canonicalStorageUri,
  envKeyProblem,
  type GrantGuard,
  nestingProblem,
  parseMemoryQuantity,
  parseNetworkHost,
  storagePath,
} from './rules.ts';
import type {
  AccessMode,
  EnvironmentPermission,
  NetworkPermission,
  Permissions,
  Policy,
  StoragePermission,
} from './types.ts';
import { yaml } from './yaml.ts';

/** Why a key is refused, for keys that wassette knows but wasmactor does not enforce. */
const UNSUPPORTED: Record<string, string> = {
  deny: 'deny lists are not supported: everything that is not allowed is denied already',
  cidr: 'cidr grants are not supported: grant hosts ({host: api.example.com})',
  runtime: 'runtime settings (docker, hyperlight) do not apply to wasmactor',
  ipc: 'ipc permissions are not supported',
  cpu: 'cpu limits are not supported (only memory is)',
  io: 'io limits are not supported (only memory is)',
  requests: 'resource requests are not supported (only limits.memory is)',
  // wassette's older layout put plain numbers straight under `resources` (cpu, memory, io).
  memory: 'write the memory limit as permissions.resources.limits.memory (e.g. 512Mi)',
};

/** YAML syntax errors by code, in words that do not quote the file (YAML's messages do). */
const YAML_ERRORS: Record<string, string> = {
  BAD_INDENT: 'bad indentation',
  DUPLICATE_KEY: 'a key appears twice in one mapping',
  TAB_AS_INDENT: 'a tab is used for indentation',
  BAD_DQ_ESCAPE: 'an invalid escape sequence in a double-quoted string',
  BLOCK_AS_IMPLICIT_KEY: 'a nested mapping where a plain value was expected',
  MULTILINE_IMPLICIT_KEY: 'a key that spans several lines',
  UNEXPECTED_TOKEN: 'unexpected text for the structure around it',
  MISSING_CHAR: 'a closing bracket or quote is missing',
  MULTIPLE_DOCS: 'more than one YAML document',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
};

/** A YAML error (by its code) as a sentence without content from the file: `not valid YAML: ...`. */
export function yamlProblem(code: string): string {
  return `not valid YAML: ${YAML_ERRORS[code] ?? code.toLowerCase().replace(/_/g, ' ')}`;
}

/** A value's problem, for a field whose value must not be echoed. */
const theValue = (problem: string) => `the value ${problem}`;

/** A YAML null written plainly (`key:`, `key: ~`, `key: null`): read as "nothing here", as serde does. */
function isNull(node: Node | null | undefined): boolean {
  if (node === null || node === undefined) return true;
  return (
    yaml().isScalar(node) &&
    node.type === 'PLAIN' &&
    ['', '~', 'null', 'Null', 'NULL'].includes(String(node.value))
  );
}

/** One problem of a policy: its line, its field path and what is wrong (never the file's content). */
export interface PolicyProblem {
  line: number;
  field: string;
  problem: string;
}

class Reader {
  readonly problems: PolicyProblem[] = [];
  readonly #lines: LineCounter;

  constructor(
    readonly source: string,
    lines = new (yaml().LineCounter)(),
  ) {
    this.#lines = lines;
  }

  get lineCounter(): LineCounter {
    return this.#lines;
  }

  report(node: Node | null | undefined, field: string, problem: string): void {
    const offset = node?.range?.[0] ?? 0;
    this.problems.push({ line: this.#lines.linePos(offset).line, field, problem });
  }

  /** A mapping's entries, reporting keys outside `known`. Undefined (and reported) if not a mapping. */
  map(node: unknown, field: string, known: readonly string[]): Map<string, Node | null> | undefined {
    if (field !== '' && isNull(node as Node | null)) return new Map();
    if (!yaml().isMap(node)) {
      this.report(node as Node, field, 'expected a mapping (key: value)');
      return undefined;
    }
    const entries = new Map<string, Node | null>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = yaml().isScalar(keyNode) ? String(keyNode.value) : '';
      // `$schema` names a JSON schema for editors; wassette ignores it, and so does wasmactor.
      if (field === '' && key === '$schema') continue;
      if (!known.includes(key)) {
        // An unknown key's name is content of the file: it is reported at its parent's path.
        const why = UNSUPPORTED[key];
        if (why !== undefined) this.report(keyNode, field === '' ? key : `${field}.${key}`, why);
        else
          this.report(
            keyNode,
            field === '' ? '(top level)' : field,
            `unknown key (expected ${known.join(', ')})`,
          );
        continue;
      }
      entries.set(key, (pair.value as Node | null) ?? null);
    }
    return entries;
  }

  seq(node: Node | null | undefined, field: string): Node[] {
    if (isNull(node)) return [];
    if (!yaml().isSeq(node)) {
      this.report(node, field, 'expected a list');
      return [];
    }
    return node.items as Node[];
  }

  string(node: Node | null | undefined, field: string): string | undefined {
    if (!yaml().isScalar(node) || typeof node.value !== 'string') {
      this.report(node, field, 'expected a string');
      return undefined;
    }
    return node.value;
  }
}

function readStorage(r: Reader, node: Node | null, out: Permissions, guard: GrantGuard): void {
  const section = r.map(node, 'permissions.storage', ['allow']);
  if (!section?.has('allow')) return;
  const allow: StoragePermission[] = [];
  const lines = new Map<StoragePermission, { node: Node; field: string }>();
  r.seq(section.get('allow'), 'permissions.storage.allow').forEach((item, i) => {
    const field = `permissions.storage.allow[${i}]`;
    const entry = r.map(item, field, ['uri', 'access']);
    if (entry === undefined) return;
    const uriNode = entry.get('uri');
    if (uriNode === undefined) {
      r.report(item, field, 'missing uri');
      return;
    }
    const uriText = r.string(uriNode, `${field}.uri`);
    const checked = uriText === undefined ? undefined : canonicalStorageUri(uriText);
    if (checked !== undefined && !checked.ok) r.report(uriNode, `${field}.uri`, theValue(checked.problem));
    const broad = checked?.ok ? broadGrantProblem(storagePath(checked.value), guard) : undefined;
    if (broad !== undefined) r.report(uriNode, `${field}.uri`, theValue(broad));
    const access: AccessMode[] = [];
    if (!entry.has('access')) r.report(item, field, 'missing access (read, write or both)');
    else {
      const modes = r.seq(entry.get('access'), `${field}.access`);
      if (modes.length === 0) {
        r.report(entry.get('access'), `${field}.access`, 'give at least one of read, write');
      }
      modes.forEach((modeNode, j) => {
        const mode = r.string(modeNode, `${field}.access[${j}]`);
        if (mode === undefined) return;
        if (mode !== 'read' && mode !== 'write') {
          r.report(modeNode, `${field}.access[${j}]`, 'unknown access mode (expected read or write)');
        } else if (!access.includes(mode)) access.push(mode);
      });
    }
    if (checked?.ok && broad === undefined && access.length > 0) {
      const existing = allow.find((p) => p.uri === checked.value);
      if (existing !== undefined) {
        for (const mode of access) if (!existing.access.includes(mode)) existing.access.push(mode);
      } else {
        const permission = { uri: checked.value, access };
        allow.push(permission);
        lines.set(permission, { node: item, field });
      }
    }
  });
  // Labelled by field path, not by uri: the uris are the file's content.
  const nesting = nestingProblem(
    allow.map((p) => ({
      path: storagePath(p.uri),
      label: lines.get(p)?.field ?? 'permissions.storage.allow',
      writable: p.access.includes('write'),
    })),
  );
  if (nesting !== undefined)
    r.report(lines.get(allow[0] as StoragePermission)?.node, 'permissions.storage.allow', nesting);
  if (allow.length > 0) out.storage = { allow };
}

function readNetwork(r: Reader, node: Node | null, out: Permissions): void {
  const section = r.map(node, 'permissions.network', ['allow']);
  if (!section?.has('allow')) return;
  const allow: NetworkPermission[] = [];
  r.seq(section.get('allow'), 'permissions.network.allow').forEach((item, i) => {
    const field = `permissions.network.allow[${i}]`;
    const entry = r.map(item, field, ['host']);
    if (entry === undefined) return;
    if (!entry.has('host')) {
      r.report(item, field, 'missing host');
      return;
    }
    const text = r.string(entry.get('host'), `${field}.host`);
    if (text === undefined) return;
    const checked = parseNetworkHost(text);
    if (!checked.ok) {
      r.report(entry.get('host'), `${field}.host`, theValue(checked.problem));
      return;
    }
    if (!allow.some((p) => p.host === checked.value.canonical)) allow.push({ host: checked.value.canonical });
  });
  if (allow.length > 0) out.network = { allow };
}

function readEnvironment(r: Reader, node: Node | null, out: Permissions): void {
  const section = r.map(node, 'permissions.environment', ['allow']);
  if (!section?.has('allow')) return;
  const allow: EnvironmentPermission[] = [];
  r.seq(section.get('allow'), 'permissions.environment.allow').forEach((item, i) => {
    const field = `permissions.environment.allow[${i}]`;
    const entry = r.map(item, field, ['key']);
    if (entry === undefined) return;
    if (!entry.has('key')) {
      r.report(item, field, 'missing key');
      return;
    }
    const key = r.string(entry.get('key'), `${field}.key`);
    if (key === undefined) return;
    const problem = envKeyProblem(key);
    if (problem !== undefined) {
      r.report(entry.get('key'), `${field}.key`, theValue(problem));
      return;
    }
    if (!allow.some((p) => p.key === key)) allow.push({ key });
  });
  if (allow.length > 0) out.environment = { allow };
}

function readResources(r: Reader, node: Node | null, out: Permissions): void {
  const section = r.map(node, 'permissions.resources', ['limits']);
  if (!section?.has('limits')) return;
  const limits = r.map(section.get('limits'), 'permissions.resources.limits', ['memory']);
  if (!limits?.has('memory')) return;
  const field = 'permissions.resources.limits.memory';
  const text = r.string(limits.get('memory'), field);
  if (text === undefined) return;
  const checked = parseMemoryQuantity(text);
  if (!checked.ok) {
    r.report(limits.get('memory'), field, theValue(checked.problem));
    return;
  }
  out.resources = { limits: { memory: text.trim() } };
}

function readPermissionSections(r: Reader, node: Node, out: Permissions, guard: GrantGuard): void {
  const known = ['storage', 'network', 'environment', 'resources'];
  const sections = r.map(node, 'permissions', known);
  if (sections?.has('storage')) readStorage(r, sections.get('storage') ?? null, out, guard);
  const readers = { network: readNetwork, environment: readEnvironment };
  for (const [key, read] of Object.entries(readers)) {
    if (sections?.has(key)) read(r, sections.get(key) ?? null, out);
  }
  if (sections?.has('resources')) readResources(r, sections.get('resources') ?? null, out);
}

/**
 * Reads a `permissions` block that sits inside another YAML document (a manifest's inline permissions)
 * with the rules and words of `parsePolicy`: `node` is the block, `lines` the `LineCounter` its document
 * was parsed with (failsafe schema, as `parsePolicy` parses). Problems come back (not thrown) with their
 * lines in that document and fields from `permissions` on, for the caller to place under its own path.
 */
export function readPermissionsBlock(
  node: Node | null,
  lines: LineCounter,
  guard: GrantGuard = {},
): { permissions: Permissions; problems: PolicyProblem[] } {
  const r = new Reader('', lines);
  const permissions: Permissions = {};
  if (node !== null) readPermissionSections(r, node, permissions, guard);
  return { permissions, problems: r.problems };
}

/**
 * Parses and validates a policy file. Throws `RuntimeError('invalid-policy')` whose message lists every
 * problem as `<source>:<line>: <field>: <problem>` (never the file's content, see above); `source`
 * defaults to `policy.yaml`. Storage grants too broad for `guard` are refused (see `broadGrantProblem`).
 */
export function parsePolicy(text: string, source = 'policy.yaml', guard: GrantGuard = {}): Policy {
  const r = new Reader(source);
  const doc = yaml().parseDocument(text, {
    schema: 'failsafe',
    lineCounter: r.lineCounter,
    uniqueKeys: true,
  });
  for (const error of doc.errors) {
    const line = error.linePos?.[0]?.line ?? r.lineCounter.linePos(error.pos[0]).line;
    r.problems.push({ line, field: '(yaml)', problem: yamlProblem(error.code) });
  }
  const policy: Policy = { version: '1.0', permissions: {} };
  if (doc.errors.length === 0) {
    let root = doc.contents as Node | null;
    if (yaml().isAlias(root)) root = root.resolve(doc) as Node | null;
    // An empty file (or only comments) grants nothing: the deny-all policy.
    if (root === null) return policy;
    const top = r.map(root, '', ['version', 'description', 'permissions']);
    if (top !== undefined) {
      if (!top.has('version')) r.report(root, 'version', 'missing (write version: "1.0")');
      else {
        const version = r.string(top.get('version'), 'version');
        if (version !== undefined && !/^1(\.\d+){0,2}$/.test(version)) {
          r.report(top.get('version'), 'version', 'unsupported version (only 1.x is understood)');
        } else if (version !== undefined) policy.version = version;
      }
      if (top.has('description')) {
        const description = r.string(top.get('description'), 'description');
        if (description !== undefined) policy.description = description;
      }
      const permissionsNode = top.get('permissions');
      if (permissionsNode !== undefined && permissionsNode !== null)
        readPermissionSections(r, permissionsNode, policy.permissions, guard);
    }
  }
  if (r.problems.length > 0) {
    const lines = r.problems
      .sort((a, b) => a.line - b.line)
      .map((p) => `${source}:${p.line}: ${p.field}: ${p.problem}`);
    throw new RuntimeError('invalid-policy', `invalid policy ${source}:\n${lines.join('\n')}`);
  }
  return policy;
}

/** The policy as `policy.yaml` text (wassette's layout); `parsePolicy` reads it back unchanged. */
export function serializePolicy(policy: Policy): string {
  const document: Record<string, unknown> = { version: policy.version };
  if (policy.description !== undefined) document.description = policy.description;
  const permissions: Record<string, unknown> = {};
  const { storage, network, environment, resources } = policy.permissions;
  if (storage && storage.allow.length > 0) {
    permissions.storage = { allow: storage.allow.map((p) => ({ uri: p.uri, access: [...p.access] })) };
  }
  if (network && network.allow.length > 0) {
    permissions.network = { allow: network.allow.map((p) => ({ host: p.host })) };
  }
  if (environment && environment.allow.length > 0) {
    permissions.environment = { allow: environment.allow.map((p) => ({ key: p.key })) };
  }
  if (resources?.limits.memory !== undefined) {
    permissions.resources = { limits: { memory: resources.limits.memory } };
  }
  document.permissions = permissions;
  // Every scalar quoted where YAML would read it as something else ("1.0" stays a string).
  return yaml().stringify(document, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}
