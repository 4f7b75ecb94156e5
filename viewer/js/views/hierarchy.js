// Group hierarchy: the whole group around a company, parents on top, with subtree roll-ups.
import { groupHierarchy, projectsOf } from '../api.js';
import { projectList } from './account.js';
import { h } from '../dom.js';
import { displayName, formatNumber, getLang, t } from '../i18n.js';

export default {
  id: 'hierarchy',
  subject: 'company',
  async load({ id, asOf }) {
    const [result, projects] = await Promise.all([
      groupHierarchy({ company: id, asOf }),
      projectsOf({ company: id }).catch(() => []),
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
              r ? h('div', { class: 'muted rollup' }, rollupText(r, byId.get(rid))) : null);
          }))), projectList(projects));
      },
    };
  },
};

/** A subtree's roll-up. `companies` and `customers` count the subtree's top company too
 * (SubtreeRollup), so the companies below it are one fewer. */
export function rollupText(r, self = null) {
  const amount = formatNumber(r.openProjectAmount, 0);
  const below = r.companies - 1;
  if (below <= 0) {
    const isCustomer = self ? Boolean(self.isCustomer) : r.customers > 0;
    return t('rollup.alone', { customer: t(isCustomer ? 'rollup.isCustomer' : 'rollup.notCustomer'), amount });
  }
  const en = getLang() === 'en';
  return t('rollup', {
    below, customers: r.customers, amount,
    companiesWord: en && below === 1 ? 'company' : 'companies',
    customersWord: en && r.customers === 1 ? 'customer' : 'customers',
  });
}
