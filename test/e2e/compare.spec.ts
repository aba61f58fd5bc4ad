import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

const h100 = JSON.parse(readFileSync('src/data/reference/h100.json', 'utf8'));
const h200 = JSON.parse(readFileSync('src/data/reference/h200.json', 'utf8'));

test('a finished run is kept in this browser, listed on /device, and can be put beside a reference GPU', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/device/');
  const lab = page.locator('.lab[data-lab="probe"]');
  await lab.locator('select[name="__preset"]').selectOption({ label: 'Quick check (tiny sizes)' });
  await lab.locator('[data-run]').click();
  await expect(lab).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  await page.reload();
  const runs = page.locator('[data-saved-runs] tbody tr');
  await expect(runs).toHaveCount(1);
  await expect(runs.first()).toContainText('probe');
  await runs.first().getByRole('link', { name: 'Compare' }).click();
  await expect(page).toHaveURL(/\/compare\/\?a=run/);
  await expect(page.locator('[data-side="a"] select')).toHaveValue(/^run:/);
  await expect(page.locator('[data-summary]')).toContainText(/share/);
  // Deleted, it is gone.
  await page.goto('/device/');
  await page.locator('[data-saved-runs] tbody tr').first().getByRole('button', { name: /^Delete/ }).click();
  await expect(page.locator('[data-saved-runs] [data-empty]')).toBeVisible();
});

/** Keeps `file` in this browser's runs as a finished lab run would (lab/runs-store.ts: idb-keyval's store). */
async function keepRun(page: Page, lab: string, file: unknown) {
  await page.evaluate(
    ([lab, file]) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('speed-of-light');
        open.onupgradeneeded = () => open.result.createObjectStore('runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const write = open.result.transaction('runs', 'readwrite');
          write.objectStore('runs').put({ lab, file }, `${(file as { date: string }).date} ${lab}`);
          write.oncomplete = () => resolve();
          write.onerror = () => reject(write.error);
        };
      }),
    [lab, file] as const,
  );
}

/** The H100's GQA records as a software adapter's run would be kept: a long device name, the lab's short title. */
const softwareGqa = {
  ...h100,
  device: { ...h100.device, name: 'google swiftshader (a software adapter, emulated on the CPU)' },
  date: '2026-12-06T10:00:00.000Z',
  records: h100.records.filter((r: { lab: string }) => r.lab === 'gqa'),
};

test('at a phone\'s width /compare does not scroll sideways with a run kept, and its plot\'s text keeps its size', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/compare/');
  // A run with a long device name and lab, as a software adapter's GQA run has: its option once stretched the page to 411 px.
  await keepRun(page, 'gqa', softwareGqa);
  await page.reload();
  const option = page.locator('[data-side="a"] [data-runs] option');
  await expect(option).toHaveCount(1);
  // The lab by its name, not its id.
  await expect(option).toHaveText(/, GQA, /);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 'px the page scrolls sideways').toBe(0);
  await page.locator('[data-side="a"] select').selectOption((await option.getAttribute('value'))!);
  await expect(page.locator('[data-tables] caption').first()).toHaveText('GQA');
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 'px the page scrolls sideways').toBe(0);
  // The plot is drawn at its box's width, not shrunk into it: its 12 px text stays 12 px.
  const svg = page.locator('[data-plot] svg').last();
  await expect(svg).toBeVisible();
  const scale = await svg.evaluate((node) => node.getBoundingClientRect().width / (node as SVGSVGElement).width.baseVal.value);
  expect(scale).toBeCloseTo(1, 2);
  expect(await svg.evaluate((node) => getComputedStyle(node.querySelector('text')!).fontSize)).toBe('12px');
});

test('at a phone\'s width a kept run on /device shows its buttons within the page', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/device/');
  await keepRun(page, 'gqa', softwareGqa);
  await page.reload();
  const row = page.locator('[data-saved-runs] tbody tr').first();
  for (const name of [/^Export/, /^Delete/]) {
    const box = (await row.getByRole('button', { name }).boundingBox())!;
    expect(box.x + box.width, `the ${name} button's right edge`).toBeLessThanOrEqual(390);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 'px the page scrolls sideways').toBe(0);
});

test('a results file is read as data: a broken one refused with the field named, markup in a name shown as text', async ({ page }) => {
  const alerts: string[] = [];
  page.on('dialog', (dialog) => {
    alerts.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto('/compare/');
  await expect(page.locator('[data-summary]')).toContainText('NVIDIA H200 and NVIDIA H100');
  const input = page.locator('[data-side="b"] input[type="file"]');
  await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...h200, records: [{ ...h200.records[0], seconds: { median: 'fast' } }] })) });
  await expect(page.locator('[data-side="b"] [role="alert"]')).toHaveText(/^broken\.json: Not a results file: records\.0\.seconds\.median: /);
  await input.setInputFiles({ name: 'notjson.json', mimeType: 'application/json', buffer: Buffer.from('<script>alert(1)</script>') });
  await expect(page.locator('[data-side="b"] [role="alert"]')).toContainText('not JSON');
  const hostile = { ...h200, device: { ...h200.device, name: '<img src=x onerror=alert(1)>' } };
  await input.setInputFiles({ name: 'hostile.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(hostile)) });
  await expect(page.locator('[data-side="b"] [role="alert"]')).toBeHidden();
  await expect(page.locator('[data-summary]')).toContainText('<img src=x onerror=alert(1)>');
  expect(await page.locator('[data-compare] img').count()).toBe(0);
  // Its points are the H200's own: every one matches, at a ratio of 1.
  await expect(page.locator('[data-tables] td', { hasText: '1.00×' }).first()).toBeVisible();
  expect(alerts).toEqual([]);
});

test('a run shared as a link opens as a card, and can be put beside a reference GPU', async ({ page, context }) => {
  test.setTimeout(300_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/device/');
  const lab = page.locator('.lab[data-lab="probe"]');
  await lab.locator('select[name="__preset"]').selectOption({ label: 'Quick check (tiny sizes)' });
  await lab.locator('[data-run]').click();
  await expect(lab).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  await lab.getByRole('button', { name: 'Share as a link' }).click();
  // The link is written once the run is compressed, a moment after the click.
  await expect(lab.locator('[data-share-link]')).toHaveValue(/\/card\/#[\w-]+$/);
  const link = await lab.locator('[data-share-link]').inputValue();
  await page.goto(link);
  await expect(page.locator('[data-card-title]')).toContainText('on ');
  await expect(page.locator('[data-card-facts]')).toContainText('Check passed');
  await expect(page.locator('[data-card-plots] svg').first()).toBeVisible();
  await page.getByRole('link', { name: /Put it beside/ }).click();
  await expect(page.locator('[data-side="b"] select')).toHaveValue('card');
  await expect(page.locator('[data-summary]')).toContainText('(shared)');
});

test('/compare reads a card link changed in the same tab, as /card/ does', async ({ page }) => {
  await page.goto('/compare/');
  await expect(page.locator('[data-summary]')).toContainText('NVIDIA H200 and NVIDIA H100');
  const gemm = { lab: 'gemm', file: { ...h200, device: { ...h200.device, name: 'A shared GPU' }, records: h200.records.filter((r: { lab: string }) => r.lab === 'gemm') } };
  await page.evaluate(async (hash) => {
    location.hash = hash;
  }, await deflate(JSON.stringify(gemm)));
  await expect(page.locator('[data-side="b"] select')).toHaveValue('card');
  await expect(page.locator('[data-summary]')).toContainText('NVIDIA H200 and A shared GPU (shared) share');
  // A damaged one says why, on the side it was for.
  await page.evaluate(() => {
    location.hash = 'AAAA';
  });
  await expect(page.locator('[data-side="b"] [role="alert"]')).toContainText('The shared run: This link is damaged');
});

test('a hostile card is refused or shown as plain text, and runs no script', async ({ page }) => {
  const alerts: string[] = [];
  page.on('dialog', (dialog) => {
    alerts.push(dialog.message());
    void dialog.dismiss();
  });
  // Markup and a script in the device name: shown as text.
  const probeRecords = h200.records.filter((record: { lab: string }) => record.lab === 'probe');
  const hostile = { lab: 'probe', file: { ...h200, records: probeRecords, device: { ...h200.device, name: '<img src=x onerror=alert(1)><script>alert(2)</script>' } } };
  await page.goto(`/card/#${await deflate(JSON.stringify(hostile))}`);
  await expect(page.locator('[data-card-title]')).toContainText('<img src=x onerror=alert(1)><script>alert(2)</script>');
  expect(await page.locator('[data-run-card] img, [data-run-card] script').count()).toBe(0);
  // A record with wrong types, and a 50 MB payload: refused, saying why.
  const wrong = { lab: 'probe', file: { ...h200, records: [{ ...probeRecords[0], seconds: 'slow' }] } };
  // The fragment changes in place: the card reads the new one.
  await page.evaluate(async (hash) => {
    location.hash = hash;
  }, await deflate(JSON.stringify(wrong)));
  await expect(page.locator('[data-card-status]')).toContainText('records.0.seconds');
  // Figures of 1e308 and a run with no results: refused, not "Infinity% of its bound" or "all 0 results matched".
  const huge = { lab: 'gemm', file: { ...h200, records: h200.records.filter((r: { lab: string }) => r.lab === 'gemm').map((r: object) => ({ ...r, fractionOfBound: 1e308 })) } };
  await page.evaluate(async (hash) => {
    location.hash = hash;
  }, await deflate(JSON.stringify(huge)));
  await expect(page.locator('[data-card-status]')).toContainText('records.0.fractionOfBound: expected bound.seconds ÷ seconds.median');
  await expect(page.locator('[data-run-card]')).not.toContainText('Infinity');
  await page.evaluate(async (hash) => {
    location.hash = hash;
  }, await deflate(JSON.stringify({ lab: 'probe', file: { ...h200, records: [] } })));
  await expect(page.locator('[data-card-status]')).toHaveText('This link carries a run with no results: share a run once it has finished.');
  await page.goto('about:blank');
  await page.goto(`/card/#${'A'.repeat(1_000_000)}`);
  await expect(page.locator('[data-card-status]')).toContainText('at most 200000');
  expect(alerts).toEqual([]);
});

/** What the Share button writes: deflate-raw, base64url. */
async function deflate(text: string): Promise<string> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return Buffer.from(bytes).toString('base64url');
}

test('a plot downloads as SVG and as PNG', async ({ page }) => {
  await page.goto('/papers/teal/');
  const plot = page.locator('.lab[data-lab="teal"] [data-plot]').first();
  await expect(plot.locator('svg').first()).toBeVisible();
  const [svg] = await Promise.all([page.waitForEvent('download'), plot.getByRole('button', { name: /^SVG/ }).click()]);
  expect(svg.suggestedFilename()).toMatch(/^teal-\w+\.svg$/);
  const text = readFileSync((await svg.path())!, 'utf8');
  expect(text).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const [png] = await Promise.all([page.waitForEvent('download'), plot.getByRole('button', { name: /^PNG/ }).click()]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);
  expect(readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG');
});
