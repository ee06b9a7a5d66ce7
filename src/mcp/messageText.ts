/** Building user-facing messages out of sentences, and adding sentences to a tool result's message. */
import type { CallToolResult } from '@modelcontextprotocol/server';

/** A sentence end, possibly followed by a closing quote or bracket. */
const SENTENCE_END = /[.!?]["')\]]*$/;

/** `parts` as one text of sentences: ". " between two parts unless the first already ends a sentence. */
export function joinSentences(...parts: string[]): string {
  let text = '';
  for (const part of parts.map((p) => p.trim()).filter((p) => p !== '')) {
    if (text === '') text = part;
    else text += `${SENTENCE_END.test(text) ? ' ' : '. '}${part}`;
  }
  return text;
}

/**
 * `result` with `sentences` appended to its message, the first content item, when that is text;
 * otherwise they are added as one more text item.
 */
export function appendToMessage(result: CallToolResult, ...sentences: string[]): CallToolResult {
  if (sentences.length === 0) return result;
  const [first, ...rest] = result.content;
  if (first?.type === 'text') {
    return { ...result, content: [{ ...first, text: joinSentences(first.text, ...sentences) }, ...rest] };
  }
  return { ...result, content: [...result.content, { type: 'text', text: joinSentences(...sentences) }] };
}
