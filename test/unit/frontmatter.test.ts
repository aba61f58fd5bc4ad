// Bad front-matter is refused naming the file and the field: the schema on each fixture, then a real
// `astro sync` (what the build runs first) on a tiny site holding one bad note, and the related-link check.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'astro/zod';
import { paperSchema } from '../../src/schemas/paper';
import { checkRelated } from '../../src/lib/check-related';

const fixtures = 'test/fixtures/bad-papers';
const schema = paperSchema(z.string());

function frontmatter(file: string): unknown {
  const text = readFileSync(join(fixtures, file), 'utf8');
  return parse(text.split(/^---$/m)[1]!);
}

/** Each fixture breaks exactly one field; the schema must name it, with what it expected. */
const cases: [file: string, field: string, expected: RegExp][] = [
  ['progress-too-big.mdx', 'progress', /<=\s*100/],
  ['unknown-category.mdx', 'category', /low-rank/],
  ['bad-published.mdx', 'published', /year and month/],
  ['missing-title.mdx', 'title', /expected string/],
  ['to-read-with-progress.mdx', 'progress', /expected 0 for status to-read/],
  ['no-link.mdx', 'arxiv', /arXiv id or a url/],
  ['bad-tag.mdx', 'tags.0', /lower-case tag/],
];

describe('paper front-matter schema', () => {
  it('has a case for every fixture', () => {
    expect(readdirSync(fixtures).sort()).toEqual(cases.map(([file]) => file).sort());
  });

  it.each(cases)('%s is refused at %s', (file, field, expected) => {
    const result = schema.safeParse(frontmatter(file));
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe(field);
    expect(issues[0]!.message).toMatch(expected);
  });

  it('accepts the fixtures once their field is mended', () => {
    const good = { ...(frontmatter('progress-too-big.mdx') as object), progress: 50 };
    expect(schema.safeParse(good).success).toBe(true);
  });
});

describe('related links', () => {
  const paper = (id: string, related: string[]) => ({ id, filePath: `src/content/papers/${id}.mdx`, data: { related: related.map((r) => ({ id: r })) } });

  it('accepts links to existing notes', () => {
    expect(() => checkRelated([paper('a', ['b']), paper('b', [])])).not.toThrow();
  });

  it('names the file, the index and the missing slug', () => {
    expect(() => checkRelated([paper('a', ['b', 'ghost']), paper('b', [])])).toThrow(
      'src/content/papers/a.mdx: related[1]: no paper note "ghost"',
    );
  });
});

describe('the build', () => {
  it('fails naming the file and the field', async () => {
    const root = mkdtempSync(join(process.cwd(), '.fixture-site-'));
    try {
      mkdirSync(join(root, 'src/content/papers'), { recursive: true });
      cpSync('src/schemas', join(root, 'src/schemas'), { recursive: true });
      cpSync('src/content.config.ts', join(root, 'src/content.config.ts'));
      cpSync(join(fixtures, 'progress-too-big.mdx'), join(root, 'src/content/papers/progress-too-big.mdx'));
      writeFileSync(join(root, 'astro.config.mjs'), "import mdx from '@astrojs/mdx';\nexport default { integrations: [mdx()] };\n");
      const astro = join(process.cwd(), 'node_modules/astro/bin/astro.mjs');
      const run = promisify(execFile)(process.execPath, [astro, 'sync'], { cwd: root, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
      const error = (await run.then(() => null, (e: { stdout: string; stderr: string }) => e)) as { stdout: string; stderr: string } | null;
      expect(error, 'astro sync should have failed').not.toBeNull();
      // Without colour codes, whatever the terminal: `progress: Too big`, not `\x1b[1mprogress\x1b[22m: Too big`.
      const output = `${error!.stdout}\n${error!.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
      expect(output).toContain('progress-too-big.mdx');
      expect(output).toMatch(/progress: Too big/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
