/** Types of scripts/ensure-deps.mjs (plain JS: it runs before anything is installed). */
export declare const DEFAULT_CHROMIUM: string;
export declare const CHROMIUM_VARIABLE: string;
export interface ChromiumFacts {
  env: Record<string, string | undefined>;
  exists: (path: string) => boolean;
}
export declare function chromiumExecutable(facts: ChromiumFacts): { path: string; problem?: string };
export type ChromiumPlan =
  | { action: 'none' }
  | { action: 'install'; commands: string[][] }
  | { action: 'explain'; message: string };
export declare function chromiumPlan(
  facts: ChromiumFacts & { isRoot: boolean; hasAptGet: boolean },
): ChromiumPlan;
export declare function dependenciesCurrent(
  wanted: Record<string, { version?: string; optional?: boolean }>,
  installed: Record<string, { version?: string }> | undefined,
): boolean;
/** A Debian package the tests drive besides Chromium. */
export interface TestPackage {
  name: string;
  path: string;
  usedBy: string;
}
export declare const TEST_PACKAGES: readonly TestPackage[];
export declare function testPackagesPlan(facts: ChromiumFacts & { isRoot: boolean; hasAptGet: boolean }): {
  install: string[];
  commands: string[][];
  messages: string[];
};
