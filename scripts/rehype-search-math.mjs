// KaTeX writes each formula three times: MathML for screen readers, the TeX source inside it (an <annotation>),
// and the HTML a reader sees. Search would index all three ("n×nn \times nn×n"). This marks the TeX and the
// visible HTML for Pagefind to skip, so each formula is indexed once, as the MathML's plain text. Runs after
// rehype-katex.
/** @typedef {{ type: string, tagName?: string, properties?: Record<string, unknown>, children?: Node[] }} Node */

/** @param {Node} node */
function mark(node) {
  if (node.type === 'element') {
    const className = node.properties?.className;
    const classes = Array.isArray(className) ? className : [];
    if (node.tagName === 'annotation' || classes.includes('katex-html')) {
      node.properties = { ...node.properties, dataPagefindIgnore: '' };
      return;
    }
  }
  for (const child of node.children ?? []) mark(child);
}

export function rehypeSearchMath() {
  return (/** @type {Node} */ tree) => mark(tree);
}
