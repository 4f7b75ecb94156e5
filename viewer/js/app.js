// The page: routing (#/view/id), search, the landing list, toolbar, details panel, errors.
// Views live in views/*.js, one per query; the drawing in graph.js; GraphQL in api.js.
// A view with `panel: true` (the customer profile) fills the stage instead of the graph.

import { accountMap, contactMap, onWaiting, search } from './api.js';
import { h, route } from './dom.js';
import { EDGE_COLOURS, Graph, toGraphML } from './graph.js';
import { applyStatic, displayName, getLang, label, setLang, t } from './i18n.js';
import account from './views/account.js';
import brief from './views/brief.js';
import contacts from './views/contacts.js';
import customer from './views/customer.js';
import decision from './views/decision.js';
import hierarchy, { rollupText } from './views/hierarchy.js';
import { introPerson, introProject } from './views/intro.js';
import pipeline from './views/pipeline.js';
import related from './views/related.js';
import risk from './views/risk.js';

const VIEWS = Object.fromEntries([account, hierarchy, contacts, related, customer, decision, introProject, introPerson, risk,
  pipeline, brief]
  .map((v) => [v.id, v]));
// Which tabs each kind of subject gets, in order.
const TABS = {
  company: ['account', 'hierarchy', 'contacts', 'related', 'customer'],
  project: ['decision', 'intro-project'],
  person: ['intro', 'customer'],
};
// A person gets the customer tab only when known to be a customer; every company gets it
// (a group that is no customer itself still has its subsidiaries' timeline).
const tabShown = (subject, vid, node) => vid !== 'customer' || subject !== 'person' || node.isCustomer;
const SUBJECT_OF_KIND = { COMPANY: 'company', PROJECT: 'project', PERSON: 'person' };

const $ = (id) => document.getElementById(id);

const state = {
  view: null,
  id: null,
  asOf: '',
  options: { influence: true, subsidiaries: false },
  subjects: {},          // company / project / person: the node each group of tabs is about
  known: new Map(),      // every node seen, by id, for names in tabs and headings
  result: null,          // what the current view's load() returned
  modified: false,       // expanded since loading: GraphML is then built from the screen
  hiddenTypes: new Set(),
  selected: null,
};
let loadSeq = 0;

const graph = new Graph($('cy'), {
  onSelect: (ele) => { state.selected = ele.id(); renderDetails(); },
  onBackground: () => { state.selected = null; graph.highlight(null); renderDetails(); },
});
window.crmViewer = { graph, cy: graph.cy, state };

function setPageState(value) {
  document.body.dataset.state = value;
}

// ---------- errors ----------

function showError(err) {
  const code = err?.code || 'ERROR';
  $('error-message').textContent = err?.message || String(err);
  $('error-code').textContent = code;
  $('error-key').hidden = !['UNAUTHENTICATED', 'FORBIDDEN'].includes(code);
  $('error').hidden = false;
  setPageState('error');
}

function clearError() {
  $('error').hidden = true;
}

onWaiting((waiting) => {
  $('starting').hidden = !waiting;
});

window.addEventListener('unhandledrejection', (evt) => showError(evt.reason));
window.addEventListener('error', (evt) => showError(evt.error || evt.message));

// ---------- routing and loading ----------

function parseHash() {
  // #/view/id, or #/view for pages about no one node (#/pipeline).
  const m = /^#\/([\w-]+)(?:\/(.+))?$/.exec(location.hash);
  return m ? { view: m[1], id: m[2] == null ? null : decodeURIComponent(m[2]) } : { view: null, id: null };
}

function remember(nodes) {
  nodes.forEach((n) => state.known.set(n.id, n));
}

function setSubject(view, id) {
  const node = state.known.get(id);
  const subject = (node && SUBJECT_OF_KIND[node.kind]) || view.subject;
  if (!subject) return; // the customer view: a company or a person, known after loading
  state.subjects[subject] = node || { id, name: '…' };
}

async function render() {
  const { view, id } = parseHash();
  state.view = view;
  state.id = id;
  clearError();
  if (!view) {
    $('workspace').hidden = true;
    $('landing').hidden = false;
    await loadStarts();
    return;
  }
  $('landing').hidden = true;
  $('workspace').hidden = false;
  const v = VIEWS[view];
  if (!v) {
    showError({ message: `${view}?`, code: 'NOT_FOUND' });
    return;
  }
  $('workspace').classList.toggle('panel-mode', Boolean(v.panel));
  $('panel').hidden = !v.panel;
  setSubject(v, id);
  renderChrome();
  setStatus(t('loading'));
  setPageState('loading');
  if (v.panel) $('panel').replaceChildren(h('p', { class: 'muted' }, t('loading')));
  const seq = ++loadSeq;
  try {
    const result = await v.load(
      { id, asOf: state.asOf || null, options: state.options, known: state.known.get(id) },
      { onHighlight: (nodes, edges) => graph.highlight(nodes, edges), showError, setPageState },
    );
    if (seq !== loadSeq) return;
    if (v.panel) {
      remember(result.known || []);
      setSubject(v, id);
      state.result = result;
      state.selected = null;
      renderChrome();
      renderPanel();
      setStatus(null);
      setPageState('ready');
      return;
    }
    remember(result.map.nodes);
    remember(result.known || []);
    setSubject(v, id);
    state.result = result;
    state.modified = false;
    state.selected = null;
    graph.show(result.map, {
      layout: result.layout, layoutEdges: result.layoutEdges, marks: result.marks, roleLabels: result.roleLabels,
    });
    renderChrome();
    renderInfo();
    renderDetails();
    if (!result.map.nodes.length) setStatus(t('empty'));
    else setStatus(mapStatus(result.map));
    setPageState('ready');
  } catch (err) {
    if (seq !== loadSeq) return;
    state.result = null;
    if (v.panel) $('panel').replaceChildren();
    graph.show({ nodes: [], edges: [] });
    renderInfo();
    setStatus(null);
    showError(err);
  }
}

function setStatus(text) {
  $('status').hidden = !text;
  $('status').textContent = text || '';
}

// ---------- chrome: tabs, subject heading, toolbar ----------

function renderChrome() {
  const tabs = [];
  for (const [subject, views] of Object.entries(TABS)) {
    const node = state.subjects[subject];
    if (!node) continue;
    tabs.push(h('span', { class: 'tab-group' },
      h('span', { class: 'tab-subject' }, displayName(node)),
      views.filter((vid) => tabShown(subject, vid, node)).map((vid) => h('a', {
        href: route(vid, node.id),
        class: vid === state.view && node.id === state.id ? 'tab active' : 'tab',
        'data-view': vid,
      }, t(`view.${vid === 'intro-project' ? 'intro' : vid}`)))));
  }
  $('tabs').replaceChildren(...tabs);
  const current = state.known.get(state.id);
  $('subject').textContent = current ? displayName(current) : '';
  $('influence-ctl').hidden = state.view !== 'contacts';
  $('subsidiaries-ctl').hidden = state.view !== 'contacts';
  renderEdgeKinds();
}

function renderEdgeKinds() {
  const boxes = graph.edgeTypes().map((type) => h('label', {},
    h('input', {
      type: 'checkbox', value: type, checked: !state.hiddenTypes.has(type),
      onchange: (evt) => {
        if (evt.target.checked) state.hiddenTypes.delete(type);
        else state.hiddenTypes.add(type);
        graph.setHiddenTypes(state.hiddenTypes);
      },
    }), h('span', { class: 'swatch', style: `background:${EDGE_COLOURS[type] || '#b0b7bf'}` }), label('edge', type)));
  $('edge-kinds').replaceChildren(...boxes);
  graph.setHiddenTypes(state.hiddenTypes);
}

function renderPanel() {
  const panel = state.result?.panel?.();
  $('panel').replaceChildren(...(panel ? [panel] : []));
}

function renderInfo() {
  const info = state.result?.info?.();
  $('info').replaceChildren(...(info ? [info] : []));
}

// ---------- details panel ----------

const FIELDS = ['kind', 'nameEn', 'title', 'department', 'tier', 'lifecycleStage', 'role', 'stance',
  'influence', 'hidden', 'isCustomer'];
const EDGE_FIELDS = ['type', 'kind', 'since', 'until', 'strength', 'polarity'];
const ENUMS = { kind: 'kind', tier: 'tier', lifecycleStage: 'lifecycleStage', role: 'role', stance: 'stance', type: 'edge' };

function fieldValue(key, value) {
  if (typeof value === 'boolean') return t(value ? 'yes' : 'no');
  if (ENUMS[key]) return label(ENUMS[key], value);
  return String(value);
}

function rows(obj, keys) {
  return keys.filter((k) => obj[k] != null && obj[k] !== '' && !(k === 'hidden' && !obj[k]))
    .map((k) => [h('dt', {}, t(`f.${k}`)), h('dd', {}, fieldValue(k, obj[k]))]);
}

function extraRows(data, shown) {
  if (!data || typeof data !== 'object') return [];
  return Object.entries(data)
    .filter(([k, v]) => !shown.includes(k) && !['id', 'name', 'version', 'custom', 'createdAt', 'updatedAt', 'archivedAt', 'apiKeyHash'].includes(k) && v != null && v !== ''
      && typeof v !== 'object')
    .slice(0, 20)
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]);
}

function action(text, onclick) {
  return h('button', { type: 'button', class: 'action', onclick }, text);
}

function go(view, id) {
  location.hash = route(view, id);
}

function renderDetails() {
  const box = $('details');
  const ele = state.selected ? graph.cy.getElementById(state.selected) : null;
  if (!ele || ele.empty()) {
    box.replaceChildren(h('h3', {}, t('details.heading')), h('p', { class: 'muted' }, t('details.hint')));
    return;
  }
  const d = ele.data();
  if (ele.isEdge()) {
    const name = (id) => { const n = graph.cy.getElementById(id); return n.nonempty() ? displayName(n.data()) : id; };
    box.replaceChildren(
      h('h3', {}, `${name(d.source)} → ${name(d.target)}`),
      h('dl', {}, rows(d, EDGE_FIELDS), extraRows(d.data, EDGE_FIELDS)));
    return;
  }
  const actions = [];
  if (d.kind === 'COMPANY') {
    actions.push(action(t('act.account'), () => go('account', d.id)),
      action(t('act.hierarchy'), () => go('hierarchy', d.id)),
      action(t('act.contacts'), () => go('contacts', d.id)),
      action(t('act.related'), () => go('related', d.id)),
      action(t('act.customer'), () => go('customer', d.id)));
  } else if (d.kind === 'PROJECT') {
    actions.push(action(t('act.decision'), () => go('decision', d.id)),
      action(t('act.intro'), () => go('intro-project', d.id)));
  } else if (d.kind === 'PERSON') {
    actions.push(action(t('act.intro'), () => go('intro', d.id)));
    if (d.isCustomer) actions.push(action(t('act.customer'), () => go('customer', d.id)));
    if (d.companyId) actions.push(action(t('act.contacts'), () => go('contacts', d.companyId)));
  }
  if (d.kind === 'COMPANY' || (d.kind === 'PERSON' && d.companyId)) {
    actions.push(action(t('act.expand'), () => expand(d)));
  }
  const roles = d.data?.projectRoles || [];
  box.replaceChildren(...[
    h('h3', { class: 'node-name' }, d.name),
    h('dl', {}, rows(d, FIELDS), extraRows(d.data, FIELDS)),
    roles.length ? h('ul', { class: 'plain project-roles' }, roles.map((r) => h('li', {},
      h('a', { href: route('decision', r.projectId) }, r.project || r.projectId), ' ',
      h('span', { class: 'badge role' }, label('role', r.role)),
      r.stance ? h('span', { class: `badge stance-${r.stance}` }, label('stance', r.stance)) : null))) : null,
    d.rollup ? h('p', { class: 'muted' }, rollupText(d.rollup)) : null,
    h('div', { class: 'actions' }, actions)].filter(Boolean));
}

/** What is true of a map's extent: a size cap cut it, or it is whole for its depth but the
 * graph goes on (moreBeyondDepth), or neither. */
function mapStatus(map) {
  if (map.truncated) return t('truncated');
  if (map.moreBeyondDepth) return t('beyond');
  return null;
}

/** Re-queries the neighbourhood of a node and merges it into the drawing. */
async function expand(d) {
  setStatus(t('loading'));
  setPageState('loading');
  try {
    const asOf = state.asOf || null;
    const map = d.kind === 'PERSON' && d.companyId
      ? await contactMap({ company: d.companyId, asOf, includeInfluence: state.options.influence })
      : await accountMap({ center: d.id, depth: 1, asOf });
    remember(map.nodes);
    if (graph.add(map) > 0) {
      state.modified = true;
      graph.relayout();
    }
    renderEdgeKinds();
    setStatus(mapStatus(map));
    setPageState('ready');
  } catch (err) {
    setStatus(null);
    showError(err);
  }
}

// ---------- search and landing ----------

function hitItem(hit) {
  // accountMap is centred on companies; a person opens the paths our staff have to them.
  const view = { COMPANY: 'account', PROJECT: 'decision' }[hit.kind] || 'intro';
  const href = route(view, hit.id);
  return h('li', { role: 'option' }, h('a', {
    href, class: 'hit', 'data-id': hit.id,
    onclick: () => { state.known.set(hit.id, { ...hit, hidden: false }); closeResults(); },
  }, h('span', { class: 'hit-name' }, hit.name),
  hit.nameEn && hit.nameEn !== hit.name ? h('span', { class: 'muted' }, ` ${hit.nameEn}`) : null,
  ' ', h('span', { class: 'badge' }, label('kind', hit.kind))));
}

let searchSeq = 0;
let searchTimer = null;

async function runSearch() {
  const text = $('search').value.trim();
  const seq = ++searchSeq;
  if (!text) { closeResults(); return; }
  try {
    const hits = await search(text, 8);
    if (seq !== searchSeq) return;
    const list = $('search-results');
    list.replaceChildren(...(hits.length ? hits.map(hitItem) : [h('li', { class: 'muted' }, t('search.none'))]));
    list.hidden = false;
  } catch (err) {
    if (seq === searchSeq) showError(err);
  }
}

function closeResults() {
  $('search-results').hidden = true;
}

$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 200);
});
$('search').addEventListener('keydown', async (evt) => {
  if (evt.key === 'Escape') closeResults();
  if (evt.key === 'Enter') {
    evt.preventDefault();
    clearTimeout(searchTimer);
    await runSearch();
    $('search-results').querySelector('a.hit')?.click();
  }
});
document.addEventListener('click', (evt) => {
  if (!evt.target.closest('.search')) closeResults();
});
// Arrow keys move between the search box and its results.
document.querySelector('.search').addEventListener('keydown', (evt) => {
  if (evt.key !== 'ArrowDown' && evt.key !== 'ArrowUp') return;
  const items = [$('search'), ...$('search-results').querySelectorAll('a.hit')];
  const at = items.indexOf(document.activeElement);
  const next = items[Math.max(0, Math.min(items.length - 1, at + (evt.key === 'ArrowDown' ? 1 : -1)))];
  if (next) {
    evt.preventDefault();
    next.focus();
  }
});

let starts = null;

async function loadStarts() {
  setPageState('loading');
  try {
    starts = starts || await search('集团', 5);
    $('starts').replaceChildren(...(starts.length ? starts.map(hitItem) : [h('li', { class: 'muted' }, t('landing.none'))]));
    setPageState('ready');
  } catch (err) {
    $('starts').replaceChildren(h('li', { class: 'muted' }, t('landing.none')));
    showError(err);
  }
}

// ---------- toolbar ----------

function download(name, blob) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function fileName(ext) {
  const node = state.known.get(state.id);
  return `${state.view}-${node ? displayName(node) : state.id}${state.asOf ? `-${state.asOf}` : ''}.${ext}`;
}

$('export-png').addEventListener('click', () => download(fileName('png'), graph.png()));
$('export-graphml').addEventListener('click', async () => {
  try {
    const text = !state.modified && state.result?.graphml
      ? await state.result.graphml()
      : toGraphML(graph.snapshot());
    download(fileName('graphml'), new Blob([text], { type: 'application/graphml+xml' }));
  } catch (err) {
    showError(err);
  }
});
$('fit').addEventListener('click', () => graph.cy.fit(undefined, 30));
$('as-of').addEventListener('change', (evt) => { state.asOf = evt.target.value; render(); });
$('influence').addEventListener('change', (evt) => { state.options.influence = evt.target.checked; render(); });
$('subsidiaries').addEventListener('change', (evt) => { state.options.subsidiaries = evt.target.checked; render(); });
$('error-close').addEventListener('click', clearError);
$('error-key').addEventListener('click', () => {
  const key = prompt(t('ctl.apiKey'));  // eslint-disable-line no-alert
  if (key != null) {
    if (key) localStorage.setItem('crm.apiKey', key.trim());
    else localStorage.removeItem('crm.apiKey');
    starts = null;
    render();
  }
});
$('lang').addEventListener('click', () => {
  setLang(getLang() === 'zh' ? 'en' : 'zh');
  graph.refreshLabels();
  if (state.view && VIEWS[state.view]?.panel) { renderChrome(); renderPanel(); } else if (state.view) {
    renderChrome(); renderInfo(); renderDetails();
  } else if (starts) loadStarts();
});
// Names in the side lists select their node on the graph.
$('info').addEventListener('click', (evt) => {
  const link = evt.target.closest('[data-node]');
  if (!link) return;
  evt.preventDefault();
  const node = graph.cy.getElementById(link.dataset.node);
  if (node.empty()) return;
  graph.cy.elements().unselect();
  node.select();
  graph.cy.animate({ center: { eles: node }, duration: 200 });
  state.selected = node.id();
  renderDetails();
});

window.addEventListener('hashchange', render);
setLang(getLang());
render();
