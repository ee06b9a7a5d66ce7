/** vitest globalSetup: builds the test components once per run (cached, so usually instant). */
import { buildFixtures } from '../fixtures/build.ts';

export default async function setup(): Promise<void> {
  await buildFixtures();
}
