/**
 * A policy file may be any readable file (`load-component {policy_path}`), so the errors about it must
 * never carry its content: for every file below, built around a secret-looking token, no message (nor
 * its cause) contains the token. The files cover shadow-style lines, binary bytes, YAML syntax errors
 * next to the secret, the secret as an unknown key at every level and as the value of every field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/runtime/policy/index.ts';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';

/** Where the secret goes: each template returns a file text with `S` in it. */
const templates: ((s: string) => string)[] = [
  (s) => `root:$6$${s}:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n`,
  (s) => `${s}\n`,
  (s) => `${s}: hunter2\n`,
  (s) => `password: ${s}\n`,
  (s) => `- ${s}\n- other\n`,
  (s) => `version: "1.0"\n${s}: x\n`,
  (s) => `version: "${s}"\n`,
  (s) => `version: "1.0"\npermissions:\n  ${s}: {}\n`,
  (s) => `version: "1.0"\npermissions:\n  storage:\n    ${s}: []\n`,
  (s) =>
    `version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "${s}"\n        access: [read]\n`,
  (s) =>
    `version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "fs://${s}"\n        access: [read]\n`,
  (s) =>
    `version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "fs:///${s}/*"\n        access: [read]\n`,
  (s) =>
    `version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "fs:///w/${s}"\n        access: [read, write]\n      - uri: "fs:///w/${s}/x"\n        access: [read]\n`,
  (s) =>
    `version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "fs:///d"\n        access: [${s}]\n`,
  (s) =>
    `version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "fs:///d"\n        ${s}: [read]\n`,
  (s) => `version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: "ftp://${s}"\n`,
  // a path after the host is accepted (and dropped); user info never is
  (s) =>
    `version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: "https://${s}@example.com/path"\n`,
  (s) => `version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: "${s}:99999"\n`,
  (s) => `version: "1.0"\npermissions:\n  environment:\n    allow:\n      - key: "${s}=*"\n`,
  (s) => `version: "1.0"\npermissions:\n  environment:\n    allow:\n      - key: "1${s}"\n`,
  (s) => `version: "1.0"\npermissions:\n  resources:\n    limits:\n      memory: "${s}"\n`,
  (s) => `version: "1.0"\npermissions:\n  resources:\n    limits:\n      ${s}: 1Gi\n`,
  // YAML syntax errors right at the secret (YAML's own messages quote tokens)
  (s) => `a: "\\q${s}"\n`,
  (s) => `- a\n${s}: c\n`,
  (s) => `a: [${s}\n`,
  (s) => `${s}: 1\n${s}: 2\n`,
  (s) => `\t${s}: 1\n`,
  (s) => `a: *${s}\n`,
  (s) => `!${s} x\n`,
  (s) => `${s}: x\n  y: z\n`,
  (s) => `--- ${s}\n--- ${s}\n`,
  (s) => `\u0000\u0001ELF${s}\u00ff\n`,
];

/** The error `parsePolicy` throws for `text`, or undefined when the text is a valid policy. */
function errorOf(text: string): RuntimeError | undefined {
  try {
    parsePolicy(text, '/etc/shadow-like');
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
}

/** Everything of an error a client could be shown. */
function visible(error: RuntimeError): string {
  const cause =
    error.cause instanceof Error ? `${error.cause.message} ${error.cause.stack}` : String(error.cause);
  return `${error.message}\n${error.stack}\n${cause}\n${JSON.stringify(error)}`;
}

describe('policy file errors never echo the file', () => {
  const secret = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{11,23}$/).map((s) => `Sk${s}`);

  it('refuses each template with the file name and a line, and without the secret', () => {
    for (const [i, template] of templates.entries()) {
      const token = `SkTemplate${i}Secret42`;
      const error = errorOf(template(token));
      expect(error, `template ${i} was accepted`).toBeDefined();
      const shown = visible(error as RuntimeError);
      expect(shown, `template ${i}`).toMatch(/\/etc\/shadow-like:\d+: /);
      expect(shown, `template ${i}`).not.toContain(token);
      expect(shown, `template ${i}`).not.toContain('hunter2');
    }
  });

  it('holds for random secrets in every template', () => {
    fc.assert(
      fc.property(secret, fc.integer({ min: 0, max: templates.length - 1 }), (token, i) => {
        const error = errorOf((templates[i] as (s: string) => string)(token));
        if (error !== undefined) expect(visible(error)).not.toContain(token);
      }),
      { numRuns: 400 },
    );
  });

  it('holds for random text around a secret line', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        secret,
        fc.string({ maxLength: 40 }),
        (before, token, after) => {
          const error = errorOf(`${before}\n${token}: ${token}\n${after}`);
          if (error !== undefined) expect(visible(error)).not.toContain(token);
        },
      ),
      { numRuns: 400 },
    );
  });
});
