// Shared by related accounts and warm intros: draw a set of RelPaths and list them.
// Each hop is worded here from its edges (type, kind, strength, polarity) or, for warm intros,
// from its IntroHop (tie, types, strength), in the page's language and with the same names as
// the graph's labels; the API's English `explanation` is only a fallback.
import { h } from '../dom.js';
import { displayName, formatNumber, getLang, label, t } from '../i18n.js';

export function mergePaths(paths, extraNodes = []) {
  const nodes = new Map(extraNodes.map((n) => [n.id, n]));
  const edges = new Map();
  for (const p of paths) {
    p.nodes.forEach((n) => nodes.set(n.id, n));
    p.edges.forEach((e) => edges.set(e.id, e));
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated: false };
}

const strength = (s) => formatNumber(s, 2);
/** "text（a，b）" in Chinese, "text (a, b)" in English. */
const aside = (text, parts) => (getLang() === 'zh' ? `${text}（${parts.join('，')}）` : `${text} (${parts.join(', ')})`);

/** A tie that has ended (its `until` is past): worded in the past where a wording exists. */
function ended(e) {
  return Boolean(e.until) && e.until <= new Date().toISOString().slice(0, 10);
}

/** The bare sentence of an edge, "{source} {verb} {target}", in its stored direction. */
function edgeText(e, nameOf) {
  const names = { a: nameOf(e.source), b: nameOf(e.target), until: e.until };
  const past = `hop.${e.type}.ended`;
  if (ended(e) && t(past) !== past) return t(past, names);
  const key = `hop.${e.type}`;
  return t(t(key) === key ? 'hop.other' : key, names);
}

/** One edge as a sentence: "{source} {verb} {target}（kind，强度 0.8）". */
export function edgeSentence(e, nameOf) {
  const text = edgeText(e, nameOf);
  const details = [];
  if (e.kind) details.push(label('edgeKind', e.kind));
  if (e.polarity === 'NEGATIVE') details.push(label('polarity', 'NEGATIVE'));
  if (e.strength != null) details.push(t('hop.strength', { s: strength(e.strength) }));
  return details.length ? aside(text, details) : text;
}

function namer(path) {
  const byId = new Map(path.nodes.map((n) => [n.id, n]));
  return (id) => { const n = byId.get(id); return n ? displayName(n) : id; };
}

/** The sentences of a path: one per hop. */
export function hopSentences(path) {
  const nameOf = namer(path);
  if (path.hops) {
    const edges = new Map(path.edges.map((e) => [e.id, e]));
    return path.hops.map((hop) => {
      let tie;
      let strengthKey = 'hop.strength';
      if (hop.tie === 'COLLEAGUE') {
        const at = (hop.edgeIds || []).map((i) => edges.get(i)).find((e) => e?.type === 'WORKS_AT');
        tie = at ? t('intro.colleagueAt', { company: nameOf(at.target) }) : label('introTie', 'COLLEAGUE');
      } else {
        // The ties themselves, each in its own direction: "李娜 向 孙丽 汇报", never a bare
        // "孙丽 → 李娜：汇报" that reads as the CIO reporting to her IT manager.
        const told = (hop.edgeIds || []).map((i) => edges.get(i)).filter((e) => e && e.type !== 'WORKS_AT');
        const ties = hop.types.filter((x) => x !== 'WORKS_AT').map((x) => label('edge', x));
        // Several ties: each with its own stored strength, and the hop's named as its
        // strongest tie's (a bare "strength 0.7" after "李娜 影响 刘建国" read as that
        // influence's, which is 0.5: tester BG).
        if (told.length > 1) {
          tie = told.map((e) => edgeSentence(e, nameOf)).join(getLang() === 'zh' ? '；' : '; ');
          strengthKey = 'intro.hopStrength';
        } else if (told.length) tie = edgeText(told[0], nameOf);
        else tie = ties.length ? aside(label('introTie', hop.tie), ties) : label('introTie', hop.tie);
      }
      return aside(t('intro.hop', { a: nameOf(hop.from), b: nameOf(hop.to), tie }), [t(strengthKey, { s: strength(hop.strength) })]);
    });
  }
  // RelPath: nodes and edges in path order, each edge in its stored direction.
  if (path.edges.length) return path.edges.map((e) => edgeSentence(e, nameOf));
  return path.explanation;
}

/** Why a warm intro ranks where it does, worded from its hops. */
function ranking(path) {
  if (!path.hops) return null;
  const formula = path.hops.map((x) => strength(x.strength)).join(' × ');
  return t('intro.ranking', { s: strength(path.strength), formula })
    + (path.colleagueHops ? t('intro.rankingColleagues', { n: path.colleagueHops }) : '');
}

/** One list item per path; clicking it highlights the path on the graph. */
export function pathItem(path, { onHighlight, title }) {
  const why = ranking(path);
  return h('li', { class: 'path' },
    h('button', {
      class: 'link',
      title: why,
      onclick: () => onHighlight(path.nodes.map((n) => n.id), path.edges.map((e) => e.id)),
    }, title || `${t('intro.strength')} ${strength(path.strength)}`),
    h('ol', {}, hopSentences(path).map((s) => h('li', { class: 'hop' }, s))),
    // Warm intros say why they rank where they do (colleague-only hops rank last).
    path.colleagueHops
      ? h('p', { class: 'muted', title: why }, t('intro.colleagues', { n: path.colleagueHops }))
      : null);
}
