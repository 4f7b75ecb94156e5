// Related accounts: companies tied to this one, each with the paths that explain why.
import { namesOf, relatedAccounts } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, label, t } from '../i18n.js';
import { mergePaths, pathItem } from './paths.js';

export default {
  id: 'related',
  subject: 'company',
  async load({ id, asOf, known }, { onHighlight }) {
    const related = await relatedAccounts({ company: id, asOf });
    const map = mergePaths(related.flatMap((r) => r.paths), related.map((r) => r.company));
    let self = map.nodes.find((n) => n.id === id);
    if (!self) {
      // No related accounts: still draw the company itself, by its name (a deep link or a
      // reload knows only the id).
      self = known?.name ? known : (await namesOf([id]).catch(() => []))[0];
      self = { kind: 'COMPANY', hidden: false, ...(self || { id, name: '…' }) };
      map.nodes.push(self);
    }
    return {
      known: [self],
      map,
      layout: 'cose',
      marks: { [id]: { center: true } },
      info: () => h('section', {}, h('h3', {}, t('rel.heading')),
        related.length ? h('ul', { class: 'plain' }, related.map((r) => h('li', { class: 'related' },
          h('a', { href: route('account', r.company.id) }, displayName(r.company)),
          h('span', { class: 'muted' }, ` ${t('rel.score')} ${r.score.toFixed(2)} `),
          r.via.map((v) => h('span', { class: 'badge' }, label('via', v))),
          h('ul', { class: 'plain' }, r.paths.map((p) => pathItem(p, { onHighlight }))))))
          : h('p', { class: 'muted' }, t('empty'))),
    };
  },
};
