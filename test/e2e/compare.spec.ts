import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

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
