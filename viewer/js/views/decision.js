// Project decision tree: decision makers on top, who reports to and sways them below.
// Stance is the node colour, the role is a badge under the name, hidden influencers are dashed.
import { decisionTree, projectInfo } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, label, t } from '../i18n.js';

export default {
  id: 'decision',
  subject: 'project',
  async load({ id, asOf }) {
    const [tree, info] = await Promise.all([
      decisionTree({ project: id, asOf }),
      projectInfo(id).catch(() => null),
    ]);
    const marks = {};
    tree.roots.forEach((r) => { marks[r] = { root: true }; });
    return {
      ...projectSubjects(info),
      map: tree.map,
      layout: 'dagre',
      roleLabels: true,
      layoutEdges: ['REPORTS_TO', 'INFLUENCES'],
      marks,
      graphml: () => decisionTree({ project: id, asOf }, { graphml: true }),
      info: () => summary(tree, id),
      tree,
    };
  },
};

function person(n) {
  return h('a', { href: '#', 'data-node': n.id, class: `stance-${n.stance || 'UNKNOWN'}` }, displayName(n));
}

function summary(tree, projectId) {
  const byId = new Map(tree.map.nodes.map((n) => [n.id, n]));
  const get = (ids) => ids.map((i) => byId.get(i)).filter(Boolean);
  const deciders = get(tree.roots);
  const sway = tree.map.edges.filter((e) => e.type === 'INFLUENCES' && tree.roots.includes(e.target));
  const hidden = tree.map.nodes.filter((n) => n.hidden);
  const list = (items, render) => (items.length
    ? h('ul', { class: 'plain' }, items.map((x) => h('li', {}, render(x))))
    : h('p', { class: 'muted' }, t('dt.none')));
  const stance = (n) => h('span', { class: `badge stance-${n.stance || 'UNKNOWN'}` }, label('stance', n.stance || 'UNKNOWN'));
  return h('div', { class: 'decision-summary' },
    h('p', { class: 'muted' }, t('dt.legend')),
    h('div', { class: 'legend' }, ['SUPPORTER', 'NEUTRAL', 'OPPONENT', 'UNKNOWN'].map((s) =>
      h('span', { class: `badge stance-${s}`, 'data-stance': s }, s === 'UNKNOWN' ? `${label('stance', s)} / ${t('dt.noStance')}` : label('stance', s))),
    h('span', { class: 'badge legend-hidden' }, t('dt.hiddenOne'))),
    h('h3', {}, t('dt.deciders')),
    list(deciders, (n) => [person(n), ' ', h('span', { class: 'badge role' }, label('role', n.role)), ' ', stance(n)]),
    h('h3', {}, t('dt.swayers')),
    list(sway, (e) => {
      const from = byId.get(e.source);
      const to = byId.get(e.target);
      return [from ? person(from) : e.source, e.polarity === 'NEGATIVE' ? ' ⊣ ' : ' → ', to ? person(to) : e.target,
        e.strength != null ? h('span', { class: 'muted' }, ` (${e.strength})`) : null,
        from?.hidden ? h('span', { class: 'badge hidden' }, t('dt.hiddenOne')) : null];
    }),
    h('h3', {}, t('dt.uncovered')),
    list(tree.uncoveredRoles, (r) => h('span', { class: 'badge role' }, label('role', r))),
    h('h3', {}, t('dt.hidden')),
    list(hidden, (n) => [person(n), n.title ? h('span', { class: 'muted' }, ` ${n.title}`) : null]),
    h('h3', {}, t('dt.risky')),
    list(get(tree.riskyOpponents), (n) => person(n)),
    h('h3', {}, t('dt.unconnected')),
    list(get(tree.unconnectedDecisionMakers), (n) => person(n)),
    h('h3', {}, t('dt.unknown')),
    list(get(tree.decisionMakersNobodyKnows), (n) => person(n)),
    h('h3', {}, t('dt.staffTies')),
    list(tree.staffTies.filter((k) => byId.has(k.personId)), (k) => [
      k.userName, ' → ', person(byId.get(k.personId)),
      h('span', { class: 'muted' }, k.strength != null ? ` (${k.strength})` : ''),
      k.decisionMaker ? h('span', { class: 'badge role' }, label('role', 'DECISION_MAKER')) : null]),
    h('h3', {}, t('dt.history')),
    list([...tree.stanceHistory].sort((a, b) => String(b.at).localeCompare(String(a.at))).slice(0, 10), (c) => [
      byId.get(c.personId) ? person(byId.get(c.personId)) : c.personId, ': ',
      c.from ? label('stance', c.from) : '—', ' → ', label('stance', c.to),
      h('span', { class: 'muted' }, ` ${String(c.at).slice(0, 10)}`)]),
    h('p', {}, h('a', { class: 'button', href: route('intro-project', projectId) }, t('act.intro'))));
}

/** The project and its customer as the tabs' subjects (a deep link knows only the id). */
export function projectSubjects(info) {
  if (!info) return {};
  const subjects = { project: info.project };
  if (info.customer) subjects[info.customer.kind === 'PERSON' ? 'person' : 'company'] = info.customer;
  return { subjects, known: [info.project, ...(info.customer ? [info.customer] : [])] };
}
