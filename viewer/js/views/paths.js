// Shared by related accounts and warm intros: draw a set of RelPaths and list them.
import { h } from '../dom.js';
import { t } from '../i18n.js';

export function mergePaths(paths, extraNodes = []) {
  const nodes = new Map(extraNodes.map((n) => [n.id, n]));
  const edges = new Map();
  for (const p of paths) {
    p.nodes.forEach((n) => nodes.set(n.id, n));
    p.edges.forEach((e) => edges.set(e.id, e));
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated: false };
}

/** One list item per path; clicking it highlights the path on the graph. */
export function pathItem(path, { onHighlight, title }) {
  return h('li', { class: 'path' },
    h('button', {
      class: 'link',
      title: path.ranking,
      onclick: () => onHighlight(path.nodes.map((n) => n.id), path.edges.map((e) => e.id)),
    }, title || `${t('intro.strength')} ${path.strength.toFixed(2)}`),
    h('ol', {}, path.explanation.map((s) => h('li', {}, s))),
    // Warm intros say why they rank where they do (colleague-only hops rank last).
    path.colleagueHops
      ? h('p', { class: 'muted', title: path.ranking }, t('intro.colleagues', { n: path.colleagueHops }))
      : null);
}
