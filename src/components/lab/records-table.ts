// The records table in the browser (src/labs/table.ts decides its columns): key columns, and the rest of each
// row folded in its last cell.
import type { RecordTable } from '../../labs/table';

export function recordsTableElement({ head, rows, more, ok }: RecordTable): HTMLTableElement {
  const table = document.createElement('table');
  table.createTHead().insertRow().append(...[...head, 'More'].map((h) => Object.assign(document.createElement('th'), { textContent: h, scope: 'col' })));
  const body = table.createTBody();
  rows.forEach((cells, i) => {
    const row = body.insertRow();
    row.dataset.ok = String(ok[i]);
    for (const text of cells) row.insertCell().textContent = text;
    const details = document.createElement('details');
    const list = document.createElement('dl');
    for (const [name, value] of more[i]!) list.append(Object.assign(document.createElement('dt'), { textContent: name }), Object.assign(document.createElement('dd'), { textContent: value }));
    details.append(Object.assign(document.createElement('summary'), { textContent: 'more' }), list);
    row.insertCell().append(details);
  });
  return table;
}
