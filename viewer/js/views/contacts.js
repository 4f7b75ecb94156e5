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
      // Rank by reporting lines only: WORKS_AT would pull every person up to the company.
      layoutEdges: ['REPORTS_TO', 'SUBSIDIARY_OF'],
      marks: { [id]: { center: true } },
      graphml: () => contactMap(query, { graphml: true }),
      info: () => h('div', {},
        h('p', { class: 'muted' }, t('map.counts', { n: map.nodes.length, m: map.edges.length })),
        projectList(projects)),
    };
  },
};
