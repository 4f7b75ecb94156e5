// Account map: everything within `depth` hops of a company (hierarchy, industry and decision chain).
import { accountMap } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, t } from '../i18n.js';

export default {
  id: 'account',
  subject: 'company',
  async load({ id, asOf }) {
    const map = await accountMap({ center: id, depth: 2, asOf });
    return {
      map,
      layout: 'cose',
      marks: { [id]: { center: true } },
      graphml: () => accountMap({ center: id, depth: 2, asOf }, { graphml: true }),
      info: () => projectList(map),
    };
  },
};

/** The projects drawn on a map, as links to their decision trees. */
export function projectList(map) {
  const projects = map.nodes.filter((n) => n.kind === 'PROJECT');
  if (!projects.length) return null;
  return h('section', {},
    h('h3', {}, t('map.projects')),
    h('ul', { class: 'links' }, projects.map((p) =>
      h('li', {}, h('a', { href: route('decision', p.id), 'data-project': p.id }, displayName(p))))));
}
