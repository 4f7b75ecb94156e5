// Group hierarchy: the whole group around a company, parents on top, with subtree roll-ups.
import { groupHierarchy, projectsOf } from '../api.js';
import { projectList } from './account.js';
import { h } from '../dom.js';
import { displayName, t } from '../i18n.js';

export default {
  id: 'hierarchy',
  subject: 'company',
  async load({ id, asOf }) {
    const [result, projects] = await Promise.all([
      groupHierarchy({ company: id, asOf }),
      projectsOf({ company: id, asOf }).catch(() => []),
    ]);
    const marks = { [id]: { center: true } };
    result.roots.forEach((r) => { marks[r] = { ...marks[r], root: true }; });
    const rollups = new Map(result.rollups.map((r) => [r.companyId, r]));
    result.map.nodes.forEach((n) => {
      const r = rollups.get(n.id);
      if (r) marks[n.id] = { ...marks[n.id], rollup: r };
    });
    return {
      known: projects,
      map: result.map,
      layout: 'dagre',
      layoutEdges: ['SUBSIDIARY_OF'],
      marks,
      graphml: () => groupHierarchy({ company: id, asOf }, { graphml: true }),
      info: () => {
        const byId = new Map(result.map.nodes.map((n) => [n.id, n]));
        return h('div', {}, h('section', {}, h('h3', {}, t('view.hierarchy')),
          h('ul', { class: 'plain' }, result.roots.map((rid) => {
            const r = rollups.get(rid);
            return h('li', {}, h('a', { href: '#', 'data-node': rid }, byId.get(rid) ? displayName(byId.get(rid)) : rid),
              r ? h('div', { class: 'muted' }, rollupText(r)) : null);
          }))), projectList(projects));
      },
    };
  },
};

export function rollupText(r) {
  const amount = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(r.openProjectAmount);
  return t('rollup', { companies: r.companies, customers: r.customers, amount });
}
