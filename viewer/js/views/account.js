// Account map: everything within `depth` hops of a company (hierarchy, industry and decision chain).
import { accountMap, projectsOf } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, t } from '../i18n.js';

export default {
  id: 'account',
  subject: 'company',
  async load({ id, asOf }) {
    const [map, projects] = await Promise.all([
      accountMap({ center: id, depth: 2, asOf }),
      projectsOf({ company: id }).catch(() => []),
    ]);
    return {
      known: projects,
      map,
      layout: 'cose',
      marks: { [id]: { center: true } },
      graphml: () => accountMap({ center: id, depth: 2, asOf }, { graphml: true }),
      info: () => projectList(projects),
    };
  },
};

/** Projects as links to their decision trees. */
export function projectList(projects) {
  if (!projects.length) return null;
  return h('section', {},
    h('h3', {}, t('map.projects')),
    h('ul', { class: 'links' }, projects.map((p) =>
      h('li', {}, h('a', { href: route('decision', p.id), 'data-project': p.id }, displayName(p))))));
}
