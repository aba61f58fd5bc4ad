// The type check can fail: `npm run check` (the script `npm test` runs first) on a tiny site holding one
// type error in a .ts file and one in an .astro file must exit non-zero and name both, with CI set or not.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const fixture = 'test/fixtures/type-error';
const checkScript = JSON.parse(readFileSync('package.json', 'utf8')).scripts.check as string;

async function check(ci: boolean): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: 'true' };
  if (!ci) delete env['CI'];
  const run = promisify(execFile)('npm', ['run', '--silent', 'check', '--', '--root', fixture], { env });
  const result = await run.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code: result.code, output: `${result.stdout}\n${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}

describe('the type check', () => {
  it('is what npm test runs first', () => {
    const test = JSON.parse(readFileSync('package.json', 'utf8')).scripts.test as string;
    expect(test.startsWith('npm run check &&')).toBe(true);
    expect(checkScript).toMatch(/astro check/);
  });

  it.each([true, false])('fails on a type error in .ts and .astro files (CI=%s)', async (ci) => {
    const { code, output } = await check(ci);
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/seconds\.ts.*error/);
    expect(output).toMatch(/index\.astro.*error/);
    expect(output).toMatch(/2 errors/);
  });
});
