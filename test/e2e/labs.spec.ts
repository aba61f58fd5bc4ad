// Every lab runs at its quick size on SwiftShader, reports a passing check and draws its plots; sizes beyond the
// device's limits are refused before anything runs; a browser without WebGPU gets the fallback with reference numbers.
import { expect, test, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { watchCsp } from './csp';

/** The labs and the page that embeds each; `measured: false` where no reference GPU has run the lab yet. */
const labPages: { id: string; path: string; measured?: false }[] = [
  { id: 'probe', path: '/device/' },
  { id: 'teal', path: '/papers/teal/' },
  { id: 'gqa', path: '/papers/grouped-query-attention/' },
  { id: 'lora', path: '/papers/lora/' },
  { id: 'gemm', path: '/device/' },
  { id: 'flash-attention', path: '/papers/flash-attention/', measured: false },
  { id: 'performer', path: '/papers/performers/', measured: false },
  { id: 'decode-step', path: '/models/', measured: false },
  { id: 'prefill', path: '/models/', measured: false },
];

async function runQuick(page: Page, id: string) {
  const lab = page.locator(`.lab[data-lab="${id}"]`);
  await expect(lab.locator('[data-run]')).toBeEnabled();
  await lab.locator('select[name="__preset"]').selectOption({ label: 'Quick check (tiny sizes)' });
  await lab.locator('[data-run]').click();
  await expect(lab).toHaveAttribute('data-state', 'running');
  await expect(lab).toHaveAttribute('data-state', /done|error/, { timeout: 240_000 });
  return lab;
}

for (const { id, path, measured } of labPages) {
  test(`the ${id} lab runs on SwiftShader with a passing check and a plot, on a phone's width`, async ({ page }) => {
    test.setTimeout(300_000);
    const csp = await watchCsp(page);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(path);
    const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await sideways(), 'px the page scrolls sideways before a run').toBe(0);
    // The reference GPU's plots are there before anything runs, and its lines can be switched off and on.
    if (measured !== false) {
      await expect(page.locator(`.lab[data-lab="${id}"] [data-plots] svg`).first()).toBeVisible();
      const toggle = page.locator(`.lab[data-lab="${id}"] [data-reference-toggle]`).first();
      await toggle.click();
      await expect(toggle).toHaveAttribute('aria-pressed', 'false');
      await toggle.click();
      await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    }
    const lab = await runQuick(page, id);
    await expect(lab.locator('.lab-status')).toContainText('software adapter');
    await expect(lab).toHaveAttribute('data-state', 'done');
    await expect(lab.locator('[data-check]')).toHaveAttribute('data-ok', 'true');
    // The reader's result in the paper's terms comes first, above the reference GPUs' sentences; for the probe, the
    // ceilings every lab now uses. The prompt to run the lab is gone.
    if (id !== 'probe') await expect(lab.locator('[data-verdict] p').first()).toContainText(/your GPU (ran|paid) /);
    else await expect(lab.locator('[data-verdict] p').first()).toContainText(/every lab keeps the ceilings measured at the default sizes: copy .* a launch floor of /);
    await expect(lab.locator('[data-run-hint]')).toHaveCount(0);
    await expect(lab.locator('[data-records] tbody tr').first()).toBeVisible();
    await expect(lab.locator('[data-plot="roofline"]')).toContainText('yours');
    await expect(lab.locator('[data-export-json]')).toBeVisible();
    expect(await sideways(), 'px the page scrolls sideways after a run').toBe(0);
    const { violations } = await new AxeBuilder({ page }).include(`.lab[data-lab="${id}"]`).analyze();
    expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    // The lab's worker, its plots and its formulas all run under the site's Content-Security-Policy.
    expect(await csp()).toEqual([]);
  });
}

test('on a software adapter the TEAL lab opens on its quick sizes, runs without freezing the page, and refuses its defaults with the estimate', async ({ page }) => {
  test.setTimeout(300_000);
  await page.addInitScript(() => {
    const longest = { ms: 0 };
    (window as unknown as { longestTask: typeof longest }).longestTask = longest;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longest.ms = Math.max(longest.ms, entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto('/papers/teal/');
  const lab = page.locator('.lab[data-lab="teal"]');
  await expect(lab.locator('.lab-status')).toContainText('starts at its quick sizes');
  await expect(lab.locator('select[name="__preset"] option:checked')).toHaveText('Quick check (tiny sizes)');
  await lab.locator('[data-run]').click();
  await expect(lab).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  await expect(lab.locator('[data-check]')).toHaveAttribute('data-ok', 'true');
  const longest = await page.evaluate(() => (window as unknown as { longestTask: { ms: number } }).longestTask.ms);
  expect(longest, 'the longest main-thread task (ms)').toBeLessThan(2000);
  // The lab's defaults (180 MB GEMVs, 32 to a pass) at a software adapter's few GB/s: refused with the estimate,
  // and the quick run's results are cleared, not left to pass for the refused run's.
  await expect(lab.locator('[data-records] tbody tr').first()).toBeVisible();
  for (const [name, value] of Object.entries({ dIn: '4096', dOut: '11008', perPass: '32' })) await lab.locator(`input[name="${name}"]`).fill(value);
  await lab.locator('[data-run]').click();
  await expect(lab).toHaveAttribute('data-outcome', 'too-large');
  await expect(lab.locator('.lab-status')).toContainText(/the slowest point would take about .* on this device/);
  await expect(lab.locator('[data-records] tbody tr')).toHaveCount(0);
  await expect(lab.locator('[data-check]')).toBeHidden();
  // Nor is the quick run's full bar left to read "done" for the refused run.
  await expect(lab.locator('[data-progress]')).toBeHidden();
  await expect(lab.locator('[data-progress-text]')).toHaveText('');
});

test('a number in a lab\'s form is read in decimal only: 0x10 is refused, naming the control', async ({ page }) => {
  await page.goto('/papers/teal/');
  const lab = page.locator('.lab[data-lab="teal"]');
  await expect(lab.locator('[data-run]')).toBeEnabled();
  await lab.locator('input[name="sparsity"]').fill('0, 0x10');
  await lab.locator('[data-run]').click();
  await expect(lab).toHaveAttribute('data-outcome', 'bad-input');
  await expect(lab.locator('.lab-status')).toHaveText('Sparsity sweep takes numbers separated by commas; received "0x10"');
  await expect(lab.locator('input[name="sparsity"]')).toHaveAttribute('aria-invalid', 'true');
});

test('Cancel stops a running lab within a few seconds', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/papers/teal/');
  const lab = page.locator('.lab[data-lab="teal"]');
  await expect(lab.locator('.lab-status')).toContainText('starts at its quick sizes');
  await lab.locator('[data-run]').click();
  await expect(lab.locator('[data-progress-text]')).toContainText(/at \d+%/, { timeout: 60_000 });
  // Once a step has finished, the time left.
  await expect(lab.locator('[data-progress-text]')).toContainText(/, (about \d+(\.\d)? (s|min|h)|under a second) left$/, { timeout: 60_000 });
  const clicked = Date.now();
  await lab.locator('[data-cancel]').click();
  await expect(lab).toHaveAttribute('data-outcome', 'cancelled', { timeout: 10_000 });
  expect(Date.now() - clicked, 'ms from Cancel to the run ending').toBeLessThan(5000);
});

test('/device shows the adapter as software and draws the roofline after the probe', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/device/');
  await expect(page.locator('[data-device-info]')).toHaveAttribute('data-outcome', 'software');
  const probe = await runQuick(page, 'probe');
  await expect(page.locator('[data-roofline] svg').first()).toBeVisible();
  await expect(page.locator('[data-roofline] [data-roofline-plot]')).toContainText(/yours/);
  // One launch floor everywhere: the ceilings the probe says every lab keeps, and a model's page, read the same stored one.
  const floor = (await probe.locator('[data-verdict-yours]').textContent())!.match(/every lab keeps the ceilings .* a launch floor of ([\d.]+ [nµm]?s)\.$/)![1]!;
  await page.goto('/models/llama-3-8b/');
  await expect(page.locator('[data-model-speed] select[name="device"] option').first()).toContainText('(yours)');
  await expect(page.locator('[data-report]')).toContainText(`the launch floor of ${floor} would add`);
});

test('without WebGPU a lab says why and shows the reference results', async ({ browser }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    delete (Navigator.prototype as unknown as { gpu?: unknown }).gpu;
  });
  const page = await context.newPage();
  await page.goto('/papers/teal/');
  const lab = page.locator('.lab[data-lab="teal"]');
  await expect(lab).toHaveAttribute('data-outcome', 'no-webgpu');
  await expect(lab.locator('.lab-status')).toContainText('no WebGPU');
  await expect(lab.locator('[data-run]')).toBeDisabled();
  // TEAL's reference table is long, so it starts folded.
  await expect(lab.locator('.lab-reference table').first()).toBeHidden();
  await lab.locator('.lab-reference > summary').click();
  await expect(lab.locator('.lab-reference table').first()).toBeVisible();
  await expect(lab.locator('[data-plots] svg').first()).toBeVisible();
  await page.goto('/device/');
  await expect(page.locator('[data-device-info]')).toHaveAttribute('data-outcome', 'no-webgpu');
  await expect(page.locator('main')).toContainText('TFLOP/s');
  await context.close();
});

/** Sizes within each parameter's own bounds but beyond SwiftShader's buffer limits. */
const oversize = [
  { id: 'teal', path: '/papers/teal/', fill: { dIn: '65536', dOut: '65536' } },
  { id: 'gqa', path: '/papers/grouped-query-attention/', fill: { batch: '64', seqLen: '1048576' } },
];

for (const { id, path, fill } of oversize) {
  test(`a ${id} size beyond the device limits is refused before anything runs, naming the limit`, async ({ page }) => {
    await page.goto(path);
    const lab = page.locator(`.lab[data-lab="${id}"]`);
    await expect(lab.locator('[data-run]')).toBeEnabled();
    for (const [name, value] of Object.entries(fill)) await lab.locator(`input[name="${name}"]`).fill(value);
    await lab.locator('[data-run]').click();
    await expect(lab).toHaveAttribute('data-outcome', 'too-large');
    await expect(lab.locator('.lab-status')).toContainText(/max(Buffer|StorageBufferBinding)Size/);
    await expect(lab.locator('[data-records] tr')).toHaveCount(0);
  });
}

test('the LoRA lab in f16 says why this device cannot run it, before anything runs', async ({ page }) => {
  await page.goto('/papers/lora/');
  const lab = page.locator('.lab[data-lab="lora"]');
  await expect(lab.locator('[data-run]')).toBeEnabled();
  await lab.locator('select[name="__preset"]').selectOption({ label: 'Quick check (tiny sizes)' });
  await lab.locator('select[name="dtype"]').selectOption('f16');
  await lab.locator('[data-run]').click();
  await expect(lab).toHaveAttribute('data-outcome', 'too-large');
  await expect(lab.locator('.lab-status')).toContainText(/does not offer subgroup matrices/);
  await expect(lab.locator('[data-records] tr')).toHaveCount(0);
});
