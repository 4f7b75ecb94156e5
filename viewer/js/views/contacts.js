// Org chart: a company's contacts with reporting lines; influence edges as a switchable overlay.
import { contactMap, projectsIn } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { projectList } from './account.js';

export default {
  id: 'contacts',
  subject: 'company',
  async load({ id, asOf, options }) {
    const query = {
      company: id, asOf,
      includeInfluence: options.influence, includeSubsidiaries: options.subsidiaries,
    };
    const map = await contactMap(query);
    const projects = projectsIn(map);
    return {
      known: projects,
      map,
      layout: 'dagre',
      // Rank by reporting lines; only the people who report to nobody hang from the company
      // (every WORKS_AT edge would pull everyone up to one row under it).
      layoutEdges: (e) => {
        const type = e.data('type');
        if (type === 'WORKS_AT') return e.source().outgoers('edge[type = "REPORTS_TO"]').empty();
        return type === 'REPORTS_TO' || type === 'SUBSIDIARY_OF';
      },
      marks: { [id]: { center: true } },
      graphml: () => contactMap(query, { graphml: true }),
      info: () => h('div', {},
        h('p', { class: 'muted' }, t('map.counts', { n: map.nodes.length, m: map.edges.length })),
        // The company alone: say so, not just "1 node, 0 edges" (tester BG).
        map.nodes.some((n) => n.kind === 'PERSON')
          ? null
          : h('p', { class: 'muted empty-contacts' }, t('contacts.none')),
        projectList(projects)),
    };
  },
};
