import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { watchCsp } from './csp';
import { parse } from 'yaml';

/** The collection as the files say it, to compare the dashboard against. */
const papers = readdirSync('src/content/papers')
  .filter((f) => f.endsWith('.mdx'))
  .map((f) => ({ slug: f.replace(/\.mdx$/, ''), ...parse(readFileSync(`src/content/papers/${f}`, 'utf8').split(/^---$/m)[1]!) }));
const withoutLab = papers.find((p) => !p.lab)!;
const withCode = papers.find((p) => /```/.test(readFileSync(`src/content/papers/${p.slug}.mdx`, 'utf8')) && /\$/.test(readFileSync(`src/content/papers/${p.slug}.mdx`, 'utf8')))!;

/** One page of each template. */
const templates = [
  '/',
  `/papers/${withoutLab.slug}/`,
  `/categories/${withoutLab.category}/`,
  '/tags/',
  `/tags/${(papers.find((p) => p.tags?.length)!.tags as string[])[0]}/`,
  '/labs/',
  '/papers/teal/',
  '/device/',
  '/models/',
  '/models/llama-3-8b/',
  '/compare/',
  '/card/',
  '/search/',
  '/no-such-page/',
];

/** Fails the test if the page asks for anything outside its own origin. */
function watchOrigin(page: Page, origin: string): string[] {
  const outside: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith('http') && url.origin !== origin) outside.push(request.url());
  });
  return outside;
}

test('the dashboard counts match the collection', async ({ page }) => {
  await page.goto('/');
  for (const status of ['read', 'reading', 'to-read']) {
    await expect(page.locator(`[data-count="${status}"]`)).toHaveText(String(papers.filter((p) => p.status === status).length));
  }
  await expect(page.locator('[data-count="total"]')).toHaveText(String(papers.length));
  await expect(page.locator('.paper-item')).toHaveCount(papers.length);
  // Notes with a lab are marked, linking to the lab itself; a note without one is not.
  await expect(page.locator('.paper-item[data-slug="lora"] [data-live-lab]')).toHaveAttribute('href', '/papers/lora/#lab-lora');
  await expect(page.locator('.paper-item[data-slug="linformer"] [data-live-lab]')).toHaveCount(0);
});

test('the dashboard filters by status and tag without a reload, and sorts by progress', async ({ page }) => {
  await page.goto('/');
  const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
  await page.selectOption('select[name="status"]', 'to-read');
  await expect(page.locator('.paper-item:visible')).toHaveCount(papers.filter((p) => p.status === 'to-read').length);
  await page.selectOption('select[name="status"]', '');
  const tag = (papers.find((p) => p.tags?.length)!.tags as string[])[0]!;
  await page.selectOption('select[name="tag"]', tag);
  await expect(page.locator('.paper-item:visible')).toHaveCount(papers.filter((p) => (p.tags ?? []).includes(tag)).length);
  await page.selectOption('select[name="tag"]', '');
  await page.selectOption('select[name="sort"]', 'progress');
  const first = page.locator('.paper-list').first().locator('.paper-item');
  const progress = (await first.evaluateAll((items) => items.map((i) => Number((i as HTMLElement).dataset.progress))));
  expect(progress).toEqual([...progress].sort((a, b) => b - a));
  expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker);
});

test('the dashboard reads as plain lists without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.locator('form.filters')).toBeHidden();
  await expect(page.locator('.paper-item')).toHaveCount(papers.length);
  await context.close();
});

test('a paper page renders math and highlighted code', async ({ page }) => {
  await page.goto(`/papers/${withCode.slug}/`);
  await expect(page.locator('.note .katex').first()).toBeVisible();
  await expect(page.locator('.note pre.astro-code span[style*="color"]').first()).toBeAttached();
  await expect(page.locator('details.bibtex code')).toContainText('@');
});

test("the LoRA note's matrix-chain calculator brackets a chain and names a mismatch", async ({ page }) => {
  await page.goto('/papers/lora/');
  const figure = page.locator('[data-matrix-chain]');
  // Rendered at build time: LoRA's branch, rank inside.
  await expect(figure.locator('[data-cheapest]')).toHaveText('(x·A)·B');
  await figure.getByRole('button', { name: /dA = xᵀ·dY·Bᵀ/ }).click();
  await expect(figure.locator('[data-cheapest]')).toHaveText('xᵀ·(dY·Bᵀ)');
  await expect(figure.locator('[data-dearest]')).toHaveText('(xᵀ·dY)·Bᵀ');
  await figure.locator('input').fill('A 2×3, B 4×5');
  await expect(figure.locator('[data-problem]')).toHaveText('A has 3 columns but B has 4 rows, so they cannot be multiplied.');
  await expect(figure.locator('[data-result]')).toBeHidden();
});

test('search finds a paper by a word from its note', async ({ page }) => {
  await page.goto('/search/');
  await page.getByRole('searchbox', { name: 'Search this site' }).fill('Linformer');
  await expect(page.locator('.pf-result-link[href="/papers/linformer/"]')).toBeVisible();
});

test('a link to the search page with words searches for them', async ({ page }) => {
  await page.goto('/search/?q=roofline');
  await expect(page.getByRole('searchbox', { name: 'Search this site' })).toHaveValue('roofline');
  await expect(page.locator('.pf-result-link[href="/device/"]')).toBeVisible();
});

test('search finds the models\' pages and the device page by their text, not only the notes', async ({ page }) => {
  await page.goto('/search/');
  const search = page.getByRole('searchbox', { name: 'Search this site' });
  await search.fill('KV cache');
  await expect(page.locator('.pf-result-link[href^="/models/"]').first()).toBeVisible();
  await search.fill('roofline');
  await expect(page.locator('.pf-result-link[href="/device/"]')).toBeVisible();
});

test('every lab the labs page lists is where its link points', async ({ page }) => {
  await page.goto('/labs/');
  const links = await page.locator('.lab-list > li > a').evaluateAll((anchors) => anchors.map((a) => (a as HTMLAnchorElement).getAttribute('href')!));
  expect(links.length).toBeGreaterThan(0);
  expect(links).toContain('/models/#lab-decode-step');
  for (const href of links) {
    const [path, anchor] = href.split('#');
    await page.goto(path!);
    await expect(page.locator(`[id="${anchor}"].lab`), href).toHaveCount(1);
  }
});

test('a paper\'s reading status is written in words', async ({ page }) => {
  await page.goto('/');
  const toRead = papers.find((p) => p.status === 'to-read')!;
  await expect(page.locator(`.paper-item[data-slug="${toRead.slug}"] [data-status-badge]`)).toHaveText('to read');
  await expect(page.locator('select[name="status"] option[value="to-read"]')).toHaveText('to read');
  await page.goto(`/papers/${toRead.slug}/`);
  await expect(page.locator('.status-row .badge')).toHaveText('to read');
});

test('search excerpts read as prose: each formula once, no TeX commands', async ({ page }) => {
  await page.goto('/search/');
  for (const word of ['softmax', 'attention']) {
    await page.getByRole('searchbox', { name: 'Search this site' }).fill(word);
    const excerpts = page.locator('.pf-result-excerpt');
    await expect(excerpts.first()).toBeVisible();
    const texts = await excerpts.allTextContents();
    expect(texts.length).toBeGreaterThan(2);
    for (const text of texts) {
      expect(text, `excerpt for "${word}"`).not.toMatch(/\\[a-zA-Z]+/);
      // KaTeX's triple: the same formula as MathML, TeX and HTML, e.g. "n×nn \times nn×n".
      expect(text, `excerpt for "${word}"`).not.toMatch(/(\S{3,})\1/);
    }
  }
});

test('the theme button names the theme it switches to, and the choice is remembered', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  const html = page.locator('html');
  await expect(html).toHaveAttribute('data-theme', 'light');
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await page.goto(`/papers/${withoutLab.slug}/`);
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('button', { name: 'Light theme' })).toBeVisible();
});

for (const path of templates) {
  test(`axe finds no violation, nothing leaves the origin and nothing breaks the CSP: ${path}`, async ({ page, baseURL }) => {
    const outside = watchOrigin(page, new URL(baseURL!).origin);
    const csp = await watchCsp(page);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(path);
      await page.waitForLoadState('networkidle');
      const { violations } = await new AxeBuilder({ page }).analyze();
      expect(violations.map((v) => `${scheme}: ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
      expect(await csp(), `${scheme}: CSP violations`).toEqual([]);
    }
    expect(outside).toEqual([]);
  });
}

test('a paper page without a lab ships at most 15 KB of gzipped JavaScript', async ({ page }) => {
  const bodies: Promise<Buffer>[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') bodies.push(response.body());
  });
  await page.goto(`/papers/${withoutLab.slug}/`);
  await page.waitForLoadState('networkidle');
  const inline = await page.evaluate(() => [...document.querySelectorAll('script:not([src])')].map((s) => s.textContent ?? '').join('\n'));
  const gzipped = [...(await Promise.all(bodies)), Buffer.from(inline)].reduce((sum, body) => sum + gzipSync(body).length, 0);
  console.log(`paper page JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped`);
  expect(gzipped).toBeGreaterThan(0);
  expect(gzipped).toBeLessThanOrEqual(15 * 1024);
});

test('the Content-Security-Policy refuses a script that is not the site\'s own', async ({ page }) => {
  const csp = await watchCsp(page);
  await page.goto('/');
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'document.body.dataset.injected = "yes"';
    document.head.append(script);
  });
  await expect.poll(csp).toEqual([expect.stringMatching(/^script-src/)]);
  expect(await page.locator('body').getAttribute('data-injected')).toBeNull();
});
