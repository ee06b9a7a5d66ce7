/**
 * Kinds of corruption of one entry of the component directory, shared by the store tests and the
 * end-to-end restart test. Each one breaks a valid entry folder in place and says what the problem
 * reported for it must name.
 */
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, link, mkdir, open, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';

/** One way an entry can be broken. */
export interface Corruption {
  name: string;
  /** Breaks the valid entry in folder `entry`. */
  apply: (entry: string) => Promise<void>;
  /** What the reported problem must say (besides the entry's id and the file's path). */
  problem: RegExp;
  /** The file the problem must name, relative to the entry (`''` for the entry folder itself). */
  file: 'metadata.json' | 'component.wasm' | '';
  /**
   * True when root reads it anyway (mode 000): as root the entry is valid and restored; as another user
   * it is reported with `permission denied`.
   */
  rootReads?: true;
}

type Json = Record<string, unknown>;

async function editMetadata(entry: string, edit: (m: Json) => unknown): Promise<void> {
  const path = join(entry, 'metadata.json');
  const metadata = JSON.parse(await readFile(path, 'utf8')) as Json;
  const changed = edit(metadata);
  await writeFile(path, JSON.stringify(changed === undefined ? metadata : changed));
}

function firstTool(m: Json): Json {
  return (m.tools as Json[])[0] as Json;
}

/** Replaces `file` of the entry with what `make(path)` creates there. */
function replace(file: string, make: (path: string) => Promise<void>): (entry: string) => Promise<void> {
  return async (entry) => {
    const path = join(entry, file);
    await rm(path, { recursive: true, force: true });
    await make(path);
  };
}

/** A socket file that stays after its server closed: a second hard link to it. */
async function socketAt(path: string): Promise<void> {
  const first = `${path}.listening`;
  const server = createServer();
  await new Promise<void>((done) => server.listen(first, done));
  await link(first, path);
  await new Promise<void>((done) => server.close(() => done()));
  await rm(first, { force: true });
}

const fifo = async (path: string) => {
  execFileSync('mkfifo', [path]);
};
/** `path` -> `.<name>-loop` -> `path` (the second name is hidden: it is not an entry of its own). */
const loop = async (path: string) => {
  const other = join(dirname(path), `.${basename(path)}-loop`);
  await symlink(other, path);
  await symlink(path, other);
};
const selfLoop = async (path: string) => {
  await symlink(path, path);
};
const devZero = async (path: string) => {
  await symlink('/dev/zero', path);
};
const garbage = async (path: string) => {
  const bytes = new Uint8Array(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
  await writeFile(path, bytes);
};
const modeZero = async (path: string) => {
  await chmod(path, 0o000);
};
const sparse = (bytes: number) => async (path: string) => {
  await writeFile(path, '');
  await truncate(path, bytes);
};

/** Every corruption of `metadata.json`. */
export const METADATA_CORRUPTIONS: Corruption[] = [
  ...(
    [
      ['missing', async (p: string) => rm(p, { force: true }), /metadata\.json is missing/],
      ['empty', async (p: string) => writeFile(p, ''), /not valid JSON/],
      ['binary garbage', garbage, /not valid JSON/],
      ['a directory', async (p: string) => mkdir(p), /metadata\.json is a directory/],
      ['a FIFO', fifo, /metadata\.json is a FIFO/],
      ['a socket', socketAt, /metadata\.json is a socket/],
      ['a symlink to /dev/zero', devZero, /metadata\.json is a symbolic link/],
      ['a symlink loop', loop, /metadata\.json is a symbolic link/],
      ['a symlink to itself', selfLoop, /metadata\.json is a symbolic link/],
      ['dangling symlink', async (p: string) => symlink('/nonexistent/x', p), /is a symbolic link/],
      ['65 MiB (sparse)', sparse(65 * 1024 * 1024), /metadata\.json is 68157440 bytes, more than the limit/],
    ] as const
  ).map(([name, make, problem]) => ({
    name: `metadata.json ${name}`,
    apply: replace('metadata.json', make),
    problem,
    file: 'metadata.json' as const,
  })),
  {
    name: 'metadata.json cut in half',
    apply: async (entry) => {
      const path = join(entry, 'metadata.json');
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
    },
    problem: /not valid JSON/,
    file: 'metadata.json',
  },
  {
    name: 'metadata.json mode 000',
    apply: async (entry) => modeZero(join(entry, 'metadata.json')),
    problem: /metadata\.json cannot be read: permission denied/,
    file: 'metadata.json',
    rootReads: true,
  },
  ...(
    [
      ['null', () => null, /it is null, expected a JSON object/],
      ['an array', (m: Json) => [m], /it is an array, expected a JSON object/],
      ['a string', () => 'metadata', /it is a string, expected a JSON object/],
      ['a number', () => 1, /it is a number, expected a JSON object/],
      [
        'without version',
        (m: Json) => {
          delete m.version;
        },
        /"version" is missing/,
      ],
      [
        'of version 2',
        (m: Json) => {
          m.version = 2;
        },
        /written by a newer wasmactor/,
      ],
      [
        'with version "1"',
        (m: Json) => {
          m.version = '1';
        },
        /"version" is a string, expected the number 1/,
      ],
      [
        'without id',
        (m: Json) => {
          delete m.id;
        },
        /"id" is missing/,
      ],
      [
        'with another id',
        (m: Json) => {
          m.id = 'other';
        },
        /"id" is a string, expected ".*", the name of its folder/,
      ],
      [
        'without source',
        (m: Json) => {
          delete m.source;
        },
        /"source" is missing/,
      ],
      [
        'with a short sha256',
        (m: Json) => {
          m.sha256 = 'abc';
        },
        /"sha256" is a string, expected 64 lowercase hex/,
      ],
      [
        'with sha256 null',
        (m: Json) => {
          m.sha256 = null;
        },
        /"sha256" is null/,
      ],
      [
        'with stateful "yes"',
        (m: Json) => {
          m.stateful = 'yes';
        },
        /"stateful" is a string, expected true or false/,
      ],
      [
        'without loadedAt',
        (m: Json) => {
          delete m.loadedAt;
        },
        /"loadedAt" is missing/,
      ],
      [
        'with loadedAt 0',
        (m: Json) => {
          m.loadedAt = 0;
        },
        /"loadedAt" is a number, expected an ISO time/,
      ],
      [
        'with loadedAt "yesterday"',
        (m: Json) => {
          m.loadedAt = 'yesterday';
        },
        /"loadedAt" is a string, expected an ISO time/,
      ],
      [
        'without tools',
        (m: Json) => {
          delete m.tools;
        },
        /"tools" is missing/,
      ],
      [
        'with tools null',
        (m: Json) => {
          m.tools = null;
        },
        /"tools" is null, expected an array/,
      ],
      [
        'with tools an object',
        (m: Json) => {
          m.tools = {};
        },
        /"tools" is an object, expected an array/,
      ],
      [
        'with tools [null]',
        (m: Json) => {
          m.tools = [null];
        },
        /"tools\[0\]" is null, expected a tool object/,
      ],
      [
        'with tools [[]]',
        (m: Json) => {
          m.tools = [[]];
        },
        /"tools\[0\]" is an array, expected a tool object/,
      ],
      [
        'with a tool without name',
        (m: Json) => {
          delete firstTool(m).name;
        },
        /"tools\[0\]\.name" is missing/,
      ],
      [
        'with a tool name 7',
        (m: Json) => {
          firstTool(m).name = 7;
        },
        /"tools\[0\]\.name" is a number/,
      ],
      [
        'with an empty tool name',
        (m: Json) => {
          firstTool(m).name = '';
        },
        /"tools\[0\]\.name" is a string, expected a tool name/,
      ],
      [
        'with a 200-character tool name',
        (m: Json) => {
          firstTool(m).name = 'x'.repeat(200);
        },
        /"tools\[0\]\.name"/,
      ],
      [
        'with a tool description []',
        (m: Json) => {
          firstTool(m).description = [];
        },
        /"tools\[0\]\.description" is an array/,
      ],
      [
        'with inputSchema null',
        (m: Json) => {
          firstTool(m).inputSchema = null;
        },
        /"tools\[0\]\.inputSchema" is null/,
      ],
      [
        'with inputSchema an array',
        (m: Json) => {
          firstTool(m).inputSchema = [];
        },
        /"tools\[0\]\.inputSchema" is an array/,
      ],
      [
        'with inputSchema of type "string"',
        (m: Json) => {
          firstTool(m).inputSchema = { type: 'string' };
        },
        /"tools\[0\]\.inputSchema\.type" is a string, expected the string "object"/,
      ],
      [
        'with an outputSchema without type',
        (m: Json) => {
          firstTool(m).outputSchema = {};
        },
        /"tools\[0\]\.outputSchema\.type" is missing/,
      ],
      [
        'without outputSchema',
        (m: Json) => {
          delete firstTool(m).outputSchema;
        },
        /"tools\[0\]\.outputSchema" is missing/,
      ],
      [
        'with function "f"',
        (m: Json) => {
          firstTool(m).function = 'f';
        },
        /"tools\[0\]\.function" is a string/,
      ],
      [
        'with params null',
        (m: Json) => {
          (firstTool(m).function as Json).params = null;
        },
        /"tools\[0\]\.function\.params" is null/,
      ],
      [
        'with params [null]',
        (m: Json) => {
          (firstTool(m).function as Json).params = [null];
        },
        /"tools\[0\]\.function\.params\[0\]" is null/,
      ],
      [
        'with two tools of one name',
        (m: Json) => {
          m.tools = [firstTool(m), firstTool(m)];
        },
        /"tools\[1\]\.name" is the name of an earlier tool/,
      ],
    ] as const
  ).map(([name, edit, problem]) => ({
    name: `metadata.json ${name}`,
    apply: (entry: string) => editMetadata(entry, edit),
    problem,
    file: 'metadata.json' as const,
  })),
  {
    // JSON.parse takes it; JSON.stringify (tools/list) would run out of stack. The schema keeps its
    // `type: "object"`: only the depth is wrong.
    name: 'metadata.json nested 100,000 deep',
    apply: async (entry) => {
      const path = join(entry, 'metadata.json');
      const text = await readFile(path, 'utf8');
      const depth = 100_000;
      const deep = text.replace(
        /"inputSchema":\s*\{/,
        `"inputSchema":{"deep":${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)},`,
      );
      if (deep === text) throw new Error('no inputSchema to nest in');
      await writeFile(path, deep);
    },
    problem: /nests arrays and objects more than 1000 deep/,
    file: 'metadata.json',
  },
];

/** Every corruption of `component.wasm` (seen when the bytes are read back). */
export const WASM_CORRUPTIONS: Corruption[] = [
  ...(
    [
      ['missing', async (p: string) => rm(p, { force: true }), /component\.wasm is missing/],
      ['a directory', async (p: string) => mkdir(p), /component\.wasm is a directory/],
      ['a FIFO', fifo, /component\.wasm is a FIFO/],
      ['a socket', socketAt, /component\.wasm is a socket/],
      ['a symlink to /dev/zero', devZero, /component\.wasm is a symbolic link/],
      ['a symlink loop', loop, /component\.wasm is a symbolic link/],
      ['a symlink to itself', selfLoop, /component\.wasm is a symbolic link/],
      ['binary garbage', garbage, /component\.wasm has sha256 [0-9a-f]{64}, but metadata\.json says/],
      ['empty', async (p: string) => writeFile(p, ''), /component\.wasm has sha256/],
      // Over the default limit (Node reads no file over 2 GiB); sparse, so it takes no room.
      [
        '2 GiB (sparse)',
        sparse(2 ** 31),
        /component\.wasm is 2147483648 bytes, more than the limit of (2147483647|268435456)/,
      ],
    ] as const
  ).map(([name, make, problem]) => ({
    name: `component.wasm ${name}`,
    apply: replace('component.wasm', make),
    problem,
    file: 'component.wasm' as const,
  })),
  {
    name: 'component.wasm cut in half',
    apply: async (entry) => {
      const path = join(entry, 'component.wasm');
      const bytes = await readFile(path);
      await writeFile(path, bytes.subarray(0, bytes.length >> 1));
    },
    problem: /component\.wasm has sha256/,
    file: 'component.wasm',
  },
  {
    name: 'component.wasm mode 000',
    apply: async (entry) => modeZero(join(entry, 'component.wasm')),
    problem: /component\.wasm cannot be read: permission denied/,
    file: 'component.wasm',
    rootReads: true,
  },
];

/** Corruptions of the entry folder itself (its name stays a valid id). */
export const FOLDER_CORRUPTIONS: Corruption[] = (
  [
    [
      'a regular file',
      async (p: string) => writeFile(p, 'junk'),
      /is a regular file, not a component folder/,
    ],
    ['a FIFO', fifo, /is a FIFO \(named pipe\), not a component folder/],
    ['a symlink to /dev/zero', devZero, /is a symbolic link, not a component folder/],
    ['a symlink loop', loop, /is a symbolic link, not a component folder/],
    ['empty', async (p: string) => mkdir(p), /metadata\.json is missing/],
    [
      'junk files only',
      async (p: string) => {
        await mkdir(p);
        await writeFile(join(p, 'notes.txt'), 'x');
        await mkdir(join(p, 'sub'));
      },
      /metadata\.json is missing/,
    ],
    [
      'a half-written entry (component.wasm only)',
      async (p: string) => {
        await mkdir(p);
        await writeFile(join(p, 'component.wasm'), 'half');
      },
      /metadata\.json is missing/,
    ],
  ] as const
).map(([name, make, problem]) => ({
  name: `entry folder ${name}`,
  apply: async (entry: string) => {
    await rm(entry, { recursive: true, force: true });
    await make(entry);
  },
  problem,
  file: '' as const,
}));

/** All of them. */
export const CORRUPTIONS: Corruption[] = [
  ...METADATA_CORRUPTIONS,
  ...WASM_CORRUPTIONS,
  ...FOLDER_CORRUPTIONS,
];

/** Rejects when `promise` takes longer than `ms`: start-up must complete within a bound. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens every FIFO under the given paths for writing and closes it at once, so a reader that a mutant
 * left blocked on one gets end-of-file (the test process can then end).
 */
export async function releaseFifos(paths: string[]): Promise<void> {
  for (const path of paths) {
    const handle = await open(path, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
    await handle?.close();
  }
}
