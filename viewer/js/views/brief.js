// The hand-over brief of an account (交接简报), route #/brief/<customer id>: what a new owner
// reads first: open deals with their risk chips, open follow-ups, the last interactions, and
// the key people with who on our staff knows them and how strongly. A panel view.
import { handOverBrief } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, formatWhen, label, t } from '../i18n.js';
import { dealItem, num } from './pipeline.js';

function day(iso) {
  return iso ? formatWhen(iso) : '—';
}

class BriefPage {
  constructor(brief) {
    this.brief = brief;
    this.root = h('div', { class: 'brief-page' });
  }

  render() {
    const b = this.brief;
    const deals = new Map(b.openOpportunities.map((o) => [o.project.id, o.project]));
    const none = () => h('p', { class: 'muted' }, t('brief.none'));
    this.root.replaceChildren(
      h('header', { class: 'panel-head' }, h('h2', {}, t('brief.heading', { name: displayName(b.account) })),
        h('a', { href: route('customer', b.account.id), class: 'customer-link' }, t('act.customer'))),
      h('p', { class: 'muted' }, t('brief.hint')),
      h('div', { class: 'panel-grid' },
        h('div', { class: 'panel-col' },
          h('section', { class: 'card brief-deals', id: 'brief-deals' }, h('h3', {}, t('brief.deals')),
            b.openOpportunities.length
              ? h('ol', { class: 'deals' }, b.openOpportunities.map((o) => {
                const li = dealItem(o);
                if (o.project.expectedClose) {
                  li.querySelector('.deal-head').append(h('span', { class: 'muted small' }, ` ${t('brief.close')} ${o.project.expectedClose}`));
                }
                return li;
              }))
              : none()),
          h('section', { class: 'card brief-follow-ups', id: 'brief-follow-ups' },
            h('h3', {}, t('brief.followUps', { n: b.openFollowUps.nodes.length })),
            b.openFollowUps.nodes.length
              ? h('ul', { class: 'plain' }, b.openFollowUps.nodes.map((f) => h('li', { class: 'follow-up', 'data-id': f.id },
                h('span', { class: 'muted small' }, `${t('brief.due')} ${day(f.dueAt)} `), f.action || '—',
                f.assignee ? h('span', { class: 'badge' }, f.assignee.name) : null)))
              : none()),
          h('section', { class: 'card brief-interactions', id: 'brief-interactions' }, h('h3', {}, t('brief.interactions')),
            b.lastInteractions.nodes.length
              ? h('ul', { class: 'plain' }, b.lastInteractions.nodes.map((r) => h('li', { class: 'interaction', 'data-id': r.id },
                h('span', { class: 'muted small' }, `${day(r.occurredAt)} `),
                r.channel ? h('span', { class: 'badge' }, label('channel', r.channel)) : null,
                r.subject || '—',
                r.staff.length ? h('span', { class: 'muted small' }, ` · ${r.staff.map((s) => s.name).join(', ')}`) : null)))
              : none())),
        h('div', { class: 'panel-col' },
          h('section', { class: 'card brief-people', id: 'brief-people' }, h('h3', {}, t('brief.people')),
            b.keyPeople.length
              ? h('ul', { class: 'plain' }, b.keyPeople.map((k) => h('li', { class: 'key-person', 'data-id': k.person?.id ?? '' },
                h('a', { href: route('intro', k.person?.id ?? ''), class: 'person-name' }, k.person ? displayName(k.person) : '—'), ' ',
                k.roles.map((r) => [
                  r.role ? h('span', { class: 'badge role', title: deals.get(r.projectId)?.name ?? '' }, label('role', r.role)) : null,
                  r.stance ? h('span', { class: `badge stance-${r.stance}` }, label('stance', r.stance)) : null]),
                k.ties.length
                  ? h('div', { class: 'small ties', title: t('brief.knownBy') }, k.ties.map((tie) => h('span', {
                    class: 'badge tie', 'data-user': tie.userId, 'data-strength': tie.strength ?? '',
                  }, `${tie.userName} ${tie.strength == null ? '' : num(tie.strength, 2)}`.trim())))
                  : h('div', { class: 'small muted no-ties' }, t('brief.nobody')))))
              : none()))));
    return this.root;
  }
}

export default {
  id: 'brief',
  subject: null, // its heading names the account; no tabs of its own
  panel: true,
  async load({ id }) {
    const brief = await handOverBrief(id);
    if (!brief) {
      const err = new Error(t('brief.missing'));
      err.code = 'NOT_FOUND';
      throw err;
    }
    const page = new BriefPage(brief);
    return { map: { nodes: [], edges: [] }, known: [], panel: () => page.render(), brief: page };
  },
};
