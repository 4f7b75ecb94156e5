// Warm-introduction paths from our staff to a person, or to each decision maker of a project.
import { decisionTree, namesOf, projectInfo, warmIntroPaths } from '../api.js';
import { projectSubjects } from './decision.js';
import { h } from '../dom.js';
import { displayName, t } from '../i18n.js';
import { mergePaths, pathItem } from './paths.js';

async function show(targets, asOf, onHighlight) {
  const results = await warmIntroPaths({ targets: targets.map((n) => n.id), asOf });
  const map = mergePaths(results.flat(), targets);
  const marks = Object.fromEntries(targets.map((n) => [n.id, { center: true }]));
  return {
    map,
    layout: 'paths',
    marks,
    info: () => h('section', {}, h('h3', {}, t('intro.heading')),
      targets.map((target, i) => h('div', { class: 'intro-target' },
        h('h4', {}, t('intro.to', { name: displayName(target) })),
        results[i].length
          ? h('ul', { class: 'plain' }, results[i].map((p) => pathItem(p, { onHighlight })))
          : h('p', { class: 'muted' }, t('intro.none'))))),
  };
}

export const introPerson = {
  id: 'intro',
  subject: 'person',
  async load({ id, asOf, known }, { onHighlight }) {
    // A deep link knows only the id: ask for the name rather than show the id.
    const target = known || (await namesOf([id]).catch(() => []))[0] || { id, name: '…', kind: 'PERSON' };
    return { ...(await show([target], asOf, onHighlight)), known: [target] };
  },
};

export const introProject = {
  id: 'intro-project',
  subject: 'project',
  async load({ id, asOf }, { onHighlight }) {
    const [tree, info] = await Promise.all([decisionTree({ project: id, asOf }), projectInfo(id).catch(() => null)]);
    const byId = new Map(tree.map.nodes.map((n) => [n.id, n]));
    const targets = tree.roots.map((r) => byId.get(r) || { id: r, name: r, kind: 'PERSON' }).slice(0, 10);
    const shown = await show(targets, asOf, onHighlight);
    const subjects = projectSubjects(info);
    return { ...shown, ...subjects, known: [...(subjects.known || []), ...targets] };
  },
};
