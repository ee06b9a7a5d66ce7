// The `notes` example (componentize-js). Module-level state lives as long as the instance: a stateful
// load keeps it between calls, a stateless load starts every call with an empty notebook.
const notes = [];

export function add(text) {
  notes.push(text);
  return notes.length;
}

export function all() {
  return [...notes];
}

export function remove(index) {
  if (index >= notes.length) throw `there is no note ${index}; there are ${notes.length} notes`;
  return notes.splice(index, 1)[0];
}

export function search(needle) {
  const lower = needle.toLowerCase();
  return notes.filter((note) => note.toLowerCase().includes(lower));
}

export function clear() {
  const count = notes.length;
  notes.length = 0;
  return count;
}
