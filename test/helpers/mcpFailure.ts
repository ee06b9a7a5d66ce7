/** The `McpError` a promise rejects with (the test fails when it resolves or rejects with anything else). */
import { expect } from 'vitest';
import { McpError } from '../../src/mcp/McpError.ts';

export async function mcpFailure(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}
