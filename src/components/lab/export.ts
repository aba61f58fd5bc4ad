// Exports: CSV of run records (one row per record, the nested fields flattened, extras as their own columns), and
// a file saved from the page.
import type { RunRecord } from '../../schemas/results';

function cell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(records: RunRecord[]): string {
  const paramKeys = [...new Set(records.flatMap((r) => Object.keys(r.params)))];
  const extraKeys = [...new Set(records.flatMap((r) => Object.keys(r.extra ?? {})))];
  const header = ['lab', 'variant', ...paramKeys, 'median_s', 'p10_s', 'p90_s', 'n', 'timing', 'flops', 'bytes', 'gbps', 'gflops', 'bound_s', 'limited_by', 'fraction_of_bound', 'max_rel_error', 'check_ok', ...extraKeys];
  const rows = records.map((r) => [
    r.lab, r.variant, ...paramKeys.map((k) => r.params[k]), r.seconds.median, r.seconds.p10, r.seconds.p90, r.seconds.n, r.timing,
    r.flops, r.bytes, r.achieved.gbps, r.achieved.gflops, r.bound.seconds, r.bound.limitedBy, r.fractionOfBound,
    r.check.maxRelError, r.check.ok, ...extraKeys.map((k) => r.extra?.[k]),
  ]);
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

/** Saves `text` as a file named `name` (a download the browser asks about or keeps). */
export function downloadText(text: string, type: 'application/json' | 'text/csv' | 'image/svg+xml', name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/** The plot's drawing as a standalone SVG file: its text colours fixed, since a file has no page to inherit them. */
function standaloneSvg(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.style.color = getComputedStyle(svg).color;
  copy.style.background = getComputedStyle(document.body).backgroundColor;
  return new XMLSerializer().serializeToString(copy);
}

/** Buttons that save a plot (the first SVG in `figure`) as SVG and as PNG at twice its size, named from `name`. */
export function plotDownloads(figure: Element, name: string): HTMLElement {
  const box = document.createElement('p');
  box.className = 'plot-downloads';
  const button = (label: string, act: () => void) => {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: label, className: 'secondary' });
    b.setAttribute('aria-label', `${label} of the plot ${name}`);
    b.addEventListener('click', act);
    return b;
  };
  const svgOf = () => figure.querySelector('svg:not(svg svg)') as SVGSVGElement | null;
  box.append(
    button('SVG', () => {
      const svg = svgOf();
      if (svg) downloadText(standaloneSvg(svg), 'image/svg+xml', `${name}.svg`);
    }),
    button('PNG', () => {
      const svg = svgOf();
      if (!svg) return;
      const { width, height } = svg.getBoundingClientRect();
      const image = new Image();
      const url = URL.createObjectURL(new Blob([standaloneSvg(svg)], { type: 'image/svg+xml' }));
      image.onload = () => {
        const canvas = Object.assign(document.createElement('canvas'), { width: 2 * width, height: 2 * height });
        const context = canvas.getContext('2d')!;
        context.scale(2, 2);
        context.drawImage(image, 0, 0, width, height);
        URL.revokeObjectURL(url);
        canvas.toBlob((blob) => {
          if (!blob) return;
          const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: `${name}.png` });
          link.click();
          setTimeout(() => URL.revokeObjectURL(link.href), 1000);
        }, 'image/png');
      };
      image.src = url;
    }),
  );
  return box;
}
