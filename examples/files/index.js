// The `files` example (componentize-js), written against the WASI 0.2 imports. A failing WASI call
// throws an error code ("no-entry", "not-permitted", ...), which the export returns as its `err`.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';

const decoder = new TextDecoder();

function errorText(error) {
  const payload = error && typeof error === 'object' && 'payload' in error ? error.payload : error;
  return typeof payload === 'string' ? payload : String(payload?.message ?? payload);
}

function guard(work) {
  try {
    return work();
  } catch (error) {
    throw errorText(error);
  }
}

/** The preopen that holds `path` (longest match) and the path relative to it. */
function locate(path) {
  if (!path.startsWith('/'))
    throw `"${path}" is not an absolute path (try one of: ${roots().join(', ') || 'none'})`;
  let found;
  for (const [descriptor, root] of getDirectories()) {
    const prefix = root.endsWith('/') ? root : `${root}/`;
    if (
      (path === root || path.startsWith(prefix) || root === '/') &&
      (!found || root.length > found.root.length)
    ) {
      found = { descriptor, root };
    }
  }
  if (!found) throw `no access to ${path}: grant-storage-permission would allow it`;
  const relative = path.slice(found.root.length).replace(/^\/+/, '');
  return [found.descriptor, relative === '' ? '.' : relative];
}

export function getEnv(key) {
  return getEnvironment().find(([name]) => name === key)?.[1];
}

export function roots() {
  return getDirectories().map(([, root]) => root);
}

export function listDir(path) {
  return guard(() => {
    const [dir, relative] = locate(path);
    const stream = dir
      .openAt({ symlinkFollow: true }, relative, { directory: true }, { read: true })
      .readDirectory();
    const names = [];
    for (let entry = stream.readDirectoryEntry(); entry; entry = stream.readDirectoryEntry())
      names.push(entry.name);
    return names.sort();
  });
}

export function readText(path) {
  return guard(() => {
    const [dir, relative] = locate(path);
    const file = dir.openAt({ symlinkFollow: true }, relative, {}, { read: true });
    let text = '';
    for (let offset = 0n; ; ) {
      const [bytes, end] = file.read(65536n, offset);
      text += decoder.decode(bytes, { stream: !end });
      offset += BigInt(bytes.length);
      if (end || bytes.length === 0) return text;
    }
  });
}

export function shout(text) {
  const line = `${text.toUpperCase()}!`;
  console.log(line);
  return line.length;
}
