import { describe, expect, it } from 'vitest';
import { appendToMessage, joinSentences } from '../../src/mcp/messageText.ts';

describe('joinSentences', () => {
  it('ends an unpunctuated sentence with a full stop before the next one', () => {
    expect(
      joinSentences('wasm `unreachable` instruction executed', 'The next call gets a fresh instance.'),
    ).toBe('wasm `unreachable` instruction executed. The next call gets a fresh instance.');
  });

  it('keeps the punctuation a sentence already ends with, also before a closing quote', () => {
    expect(joinSentences('Done!', 'Next.')).toBe('Done! Next.');
    expect(joinSentences('it said "stop."', 'Next.')).toBe('it said "stop." Next.');
  });

  it('skips empty parts', () => {
    expect(joinSentences('', 'One.', ' ', 'Two.')).toBe('One. Two.');
  });
});

describe('appendToMessage', () => {
  it('appends to the first text item and keeps the others', () => {
    const result = appendToMessage(
      {
        content: [
          { type: 'text', text: 'trapped' },
          { type: 'text', text: '[stderr]\nx' },
        ],
        isError: true,
      },
      'A hint.',
    );
    expect(result).toEqual({
      content: [
        { type: 'text', text: 'trapped. A hint.' },
        { type: 'text', text: '[stderr]\nx' },
      ],
      isError: true,
    });
  });

  it('adds a text item when the first item is not text', () => {
    const result = appendToMessage(
      { content: [{ type: 'image', data: '', mimeType: 'image/png' }] },
      'A hint',
    );
    expect(result.content.at(-1)).toEqual({ type: 'text', text: 'A hint' });
  });
});
