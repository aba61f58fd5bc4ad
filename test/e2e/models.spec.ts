import { expect, test } from '@playwright/test';

test('the models page lists every decoder with its floor on the reference GPU, and links each', async ({ page }) => {
  await page.goto('/models/');
  const rows = page.locator('[data-models] tbody tr');
  await expect(rows).toHaveCount(10);
  await expect(rows.filter({ hasText: 'Llama-3-8B' })).toContainText(/8\.03 B.*128 KiB.*ms/);
  await page.getByRole('link', { name: 'Llama-3-8B' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Llama-3-8B');
});

test('a model page draws its graph with shapes, and recomputes the speed of light as the reader changes the mode', async ({ page }) => {
  await page.goto('/models/llama-3-8b/');
  const graph = page.locator('.model-graph svg');
  await expect(graph.locator('[data-op]')).toHaveCount(18);
  await expect(graph.locator('.edge text').first()).toHaveText(/^\d+(×\d+)+$/);
  await expect(graph.getByText('× 32 layers')).toBeVisible();
  const lead = page.locator('[data-lead]');
  await expect(lead).toContainText('decoding 1 sequence at a 4K-token context');
  const one = Number((await lead.textContent())!.match(/at most (\d+) tokens/)![1]);
  // Eight sequences: more tokens a second in all, the weights read once for all of them.
  await page.locator('[data-model-speed]').getByLabel('Sequences (batch)').fill('8');
  await expect(lead).toContainText('decoding 8 sequences');
  const eight = Number((await lead.textContent())!.match(/at most (\d+) tokens/)![1]);
  expect(eight).toBeGreaterThan(4 * one);
  // Int4 weights: a quarter of the bytes of f16, so faster still.
  await page.locator('[data-model-speed]').getByLabel('Weights').selectOption('int4');
  await expect(lead).toContainText('int4 weights');
  // A bad entry says what to change and keeps the last result.
  await page.locator('[data-model-speed]').getByLabel('Context (tokens)').fill('0');
  await expect(page.getByRole('alert')).toHaveText(/Context \(tokens\) must be a whole number from 1 to 1048576; received 0/);
  await expect(lead).toContainText('int4 weights');
  // At a batch of 512 the products with the weights are compute-bound on the H200: their boxes turn orange.
  await page.locator('[data-model-speed]').getByLabel('Context (tokens)').fill('4096');
  await page.locator('[data-model-speed]').getByLabel('Weights').selectOption('f16');
  await page.locator('[data-model-speed]').getByLabel('Sequences (batch)').fill('512');
  await expect(graph.locator('[data-op="gate_proj"]')).toHaveClass(/bound-compute/);
  await expect(graph.locator('[data-op="attention"]')).toHaveClass(/bound-bandwidth/);
});

test('the graph is published as JSON whose edges carry the shapes their ends have', async ({ request }) => {
  const response = await request.get('/models/mistral-7b.json');
  expect(response.ok()).toBe(true);
  const graph = await response.json();
  expect(graph.totals.params).toBeGreaterThan(7.2e9);
  expect(graph.totals.kvBytesPerToken).toBe(131072);
  for (const edge of graph.edges) {
    const from = graph.nodes.find((n: { name: string }) => n.name === edge.from);
    expect(from.outputs.map((t: { shape: number[] }) => t.shape.join())).toContain(edge.shape.join());
  }
});

test('a model page fits a phone: only the graph and the tables scroll sideways', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/models/gemma-2-9b/');
  await expect(page.locator('[data-lead]')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
});

test('a graph wider than the text (Mixtral\'s experts) fits a desktop window whole, and scrolls only inside its region on a phone', async ({ page }) => {
  const overflow = () =>
    page.evaluate(() => {
      const region = document.querySelector('.model-graph .table-scroll')!;
      return { region: region.scrollWidth - region.clientWidth, page: document.documentElement.scrollWidth - document.documentElement.clientWidth };
    });
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto('/models/mixtral-8x7b/');
  expect(await overflow()).toEqual({ region: 0, page: 0 });
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = await overflow();
  expect(phone.page).toBe(0);
  expect(phone.region).toBeGreaterThan(0);
});

test("Mixtral's weights, more than an H100's memory, are flagged on the H100 and not on the H200", async ({ page }) => {
  await page.goto('/models/mixtral-8x7b/');
  const device = page.locator('[data-model-speed]').getByLabel('Device');
  await device.selectOption({ label: 'NVIDIA H200 (measured)' });
  await expect(page.locator('[data-report] [data-warning]')).toHaveCount(0);
  await device.selectOption({ label: 'NVIDIA H100 80GB HBM3 (measured)' });
  await expect(page.locator('[data-report] [data-warning]')).toContainText(/^87\.\d+ GiB is more than the NVIDIA H100 80GB HBM3's 80 GiB of memory/);
  // In int4 the weights are a quarter of that, and fit.
  await page.locator('[data-model-speed]').getByLabel('Weights').selectOption('int4');
  await expect(page.locator('[data-report] [data-warning]')).toHaveCount(0);
});

test("any GPU of the catalogue by its datasheet, beside what was measured on it, with memory that does not fit flagged", async ({ page }) => {
  await page.goto('/models/llama-3-8b/');
  const device = page.locator('[data-model-speed]').getByLabel('Device');
  await device.selectOption({ label: 'NVIDIA H100 SXM (datasheet)' });
  const report = page.locator('[data-report]');
  await expect(report.locator('[data-lead]')).toContainText("On the NVIDIA H100 SXM, by its datasheet's figures");
  await expect(report).toContainText(/A datasheet is not a measurement: on the same GPU \(NVIDIA H100 80GB HBM3\) this notebook measured bandwidth/);
  await device.selectOption({ label: 'NVIDIA L4 (datasheet)' });
  await expect(report).not.toContainText('A datasheet is not a measurement');
  await expect(report.locator('[data-warning]')).toHaveCount(0);
  // Llama-3-8B's f32 weights (32 GB) are more than the L4's 24 GB.
  await page.locator('[data-model-speed]').getByLabel('Weights').selectOption('f32');
  await expect(report.locator('[data-warning]')).toContainText(/is more than the NVIDIA L4's 24 GiB of memory/);
  // The catalogue lists at least fourteen GPUs, each figure linked to its document.
  await page.goto('/models/');
  await expect(page.locator('[data-gpu-catalogue] tbody tr')).toHaveCount(14);
  await expect(page.locator('[data-gpu="h100-sxm"] a').first()).toHaveAttribute('href', /nvidia\.com/);
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
});

test('a model page plots its speed of light against batch and context, marking where each changes character', async ({ page }) => {
  await page.goto('/models/llama-3-8b/');
  const batch = page.locator('[data-sweep="batch"] svg[aria-label^="Tokens a second"]');
  await expect(batch).toBeVisible();
  await expect(page.locator('[data-sweep="batch"]')).toContainText('products compute-bound');
  await expect(page.locator('[data-sweep="context"] svg')).toBeVisible();
  // A change of batch redraws the context sweep for it.
  await page.locator('[data-model-speed]').getByLabel('Sequences (batch)').fill('8');
  await expect(page.locator('[data-sweep="context"] svg[aria-label$="8 sequences"]')).toBeVisible();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(batch).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
});

test("a model's page runs its decode step, and a run of its layer puts each kernel's time on the graph's boxes", async ({ page }) => {
  // The lab starts at this page's model (on a software adapter, as here, the page then picks the quick preset's tiny one).
  const html = await (await page.request.get('/models/llama-3-8b/')).text();
  expect(html).toMatch(/<option value="llama-3-8b" selected/);
  await page.goto('/models/llama-3-8b/');
  // A run of Llama-3-8B's layer, as the lab reports it when done (the timings made up; what is drawn is tested).
  await page.evaluate(() => {
    const record = (variant: string, seconds: number, bound: number, extra: Record<string, number> = {}) => ({
      variant, params: { model: 'llama-3-8b', context: 4096, batch: 1 }, seconds: { median: seconds }, bound: { seconds: bound, limitedBy: 'bandwidth' }, flops: 1, bytes: 1, extra,
    });
    const records = [
      record('layer', 300e-6, 200e-6, { idealSeconds: 200e-6 }),
      record('output head', 400e-6, 350e-6, { stepSeconds: 32 * 300e-6 + 400e-6, speedOfLightTokensPerSecond: 1 / (32 * 200e-6 + 350e-6) }),
      record('QKV product', 40e-6, 30e-6), record('attention', 30e-6, 25e-6), record('output product', 30e-6, 20e-6),
      record('gate and up product', 110e-6, 90e-6), record('down product', 60e-6, 45e-6), record('RMSNorm', 4e-6, 1e-6),
    ];
    document.querySelector('.lab[data-lab="decode-step"]')!.dispatchEvent(new CustomEvent('speed-of-light:lab-done', { bubbles: true, detail: { lab: 'decode-step', records } }));
  });
  await expect(page.locator('.model-graph [data-op="k_proj"]')).toHaveClass(/measured/);
  await expect(page.locator('.model-graph [data-op="k_proj"] text.detail')).toHaveText('40.0 µs · 75%');
  // The norm runs twice a layer: each of its boxes shows one run; rotary positions are not timed alone.
  await expect(page.locator('.model-graph [data-op="mlp_norm"] text.detail')).toHaveText('4.0 µs · 25%');
  await expect(page.locator('.model-graph [data-op="rope"]')).not.toHaveClass(/measured/);
  const table = page.locator('[data-measured-ops] table');
  await expect(table).toContainText('gate and up product');
  await expect(table.locator('tr', { hasText: 'RMSNorm (×2)' })).toContainText('4.0 µs');
  await expect(table.locator('tr', { hasText: 'the rest' })).toContainText('22.0 µs');
  // Each product links to the lab that explains its kernel (the GEMV, in TEAL's note), attention to GQA's.
  await expect(table.getByRole('link', { name: 'gate and up product' })).toHaveAttribute('href', '/papers/teal/#lab-teal');
  await expect(table.getByRole('link', { name: 'attention' })).toHaveAttribute('href', '/papers/grouped-query-attention/#lab-gqa');
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
});
