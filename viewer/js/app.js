// The page: routing (#/view/id), search, the landing list, toolbar, details panel, errors.
// Views live in views/*.js, one per query; the drawing in graph.js; GraphQL in api.js.
// A view with `panel: true` (the customer profile) fills the stage instead of the graph.

import { accountMap, contactMap, me, onWaiting, search } from './api.js';
import { h, route } from './dom.js';
import { EDGE_COLOURS, Graph, toGraphML } from './graph.js';
import { applyStatic, displayName, errorDetail, errorText, formatNumber, getLang, hasText, label, setLang, t } from './i18n.js';
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

// Codes worth trying again as they are: the user asked for nothing too big (the viewer picks
// every depth, limit and page size), so a timeout means a busy server.
const RETRY_CODES = new Set(['QUERY_TIMEOUT', 'SERVER_BUSY', 'DATABASE_UNAVAILABLE', 'NETWORK', 'RATE_LIMITED', 'INTERNAL',
  'REQUEST_TIMEOUT']);
let shownError = null;

function showError(err) {
  shownError = err;
  if (err?.code === 'UNAUTHENTICATED') keyRefused();
  renderError();
  $('error').hidden = false;
  setPageState('error');
}

/** The error in the page's language by its code; the server's text only as a detail. */
function renderError() {
  const err = shownError;
  const code = err?.code || 'INTERNAL';
  $('error-message').textContent = errorText({ code });
  const detail = errorDetail(err);
  $('error-detail').hidden = !detail;
  $('error-detail-text').textContent = detail;
  $('error-code').textContent = code;
  $('error').dataset.code = code;
  $('error-key').hidden = !['UNAUTHENTICATED', 'FORBIDDEN'].includes(code);
  $('error-retry').hidden = !RETRY_CODES.has(code);
}

function clearError() {
  $('error').hidden = true;
  shownError = null;
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

/** The tabs follow the page: its own subject, what the view says belongs with it (a project's
 * customer), and a project's tabs only while on that project's customer. Everything else goes,
 * so tabs never linger on unrelated pages; recomputed from the URL, so back navigation agrees. */
function setSubject(view, id, result = null) {
  const prev = state.subjects;
  const next = {};
  const node = state.known.get(id);
  const subject = (node && SUBJECT_OF_KIND[node.kind]) || view.subject;
  if (subject) next[subject] = node || (prev[subject]?.id === id ? prev[subject] : { id, name: '…' });
  Object.assign(next, result?.subjects || {});
  if (subject === 'project' && !result) {
    // While a project view loads, keep its customer's tabs if they are already shown.
    const customerId = prev.project?.id === id ? prev.project.customerId : null;
    if (customerId && prev.company?.id === customerId) next.company = prev.company;
    if (customerId && prev.person?.id === customerId) next.person = prev.person;
  }
  if ((subject === 'company' || subject === 'person') && prev.project?.customerId === id) next.project = prev.project;
  state.subjects = next;
}

/** Forgets the drawing and the side panel of the view before: while the next one loads they
 * would show its data under the new title. */
function clearView() {
  state.result = null;
  state.modified = false;
  state.selected = null;
  graph.show({ nodes: [], edges: [] });
  $('panel').replaceChildren();
  renderInfo();
  renderDetails();
}

async function render() {
  const { view, id } = parseHash();
  state.view = view;
  state.id = id;
  // Every navigation gets its number: an answer for a page the user already left is dropped.
  const seq = ++loadSeq;
  const current = () => seq === loadSeq;
  clearError();
  clearView();
  if (!view) {
    $('workspace').hidden = true;
    $('landing').hidden = false;
    await loadStarts(current);
    return;
  }
  $('landing').hidden = true;
  $('workspace').hidden = false;
  const v = VIEWS[view];
  if (!v) {
    state.subjects = {};
    renderChrome();
    showError({ message: '', code: 'NO_SUCH_VIEW' }); // the viewer's own: no server text, no server asked
    return;
  }
  $('workspace').classList.toggle('panel-mode', Boolean(v.panel));
  $('panel').hidden = !v.panel;
  setSubject(v, id);
  renderChrome();
  setStatus(t('loading'));
  setPageState('loading');
  if (v.panel) $('panel').replaceChildren(h('p', { class: 'muted' }, t('loading')));
  // What a view does later (paging, saving) speaks to the page only while it is still shown.
  const ctx = {
    onHighlight: (nodes, edges) => { if (current()) graph.highlight(nodes, edges); },
    showError: (err) => { if (current()) showError(err); },
    setPageState: (value) => { if (current()) setPageState(value); },
  };
  try {
    const result = await v.load(
      { id, asOf: state.asOf || null, options: state.options, known: state.known.get(id) },
      ctx,
    );
    if (!current()) return;
    if (v.panel) {
      remember(result.known || []);
      setSubject(v, id, result);
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
    setSubject(v, id, result);
    state.result = result;
    state.modified = false;
    state.selected = null;
    // The banner first: the drawing is fitted below it.
    if (!result.map.nodes.length) setStatus(t('empty'));
    else setStatus(mapStatus(result.map));
    renderChrome();
    renderInfo();
    renderDetails();
    graph.show(result.map, {
      layout: result.layout, layoutEdges: result.layoutEdges, marks: result.marks, roleLabels: result.roleLabels,
    });
    renderEdgeKinds(); // the kinds of this drawing, not the one before it
    setExports(true);
    setPageState('ready');
  } catch (err) {
    if (!current()) return;
    state.result = null;
    if (v.panel) $('panel').replaceChildren();
    graph.show({ nodes: [], edges: [] });
    // A record that is not there gets no "…" tabs and nothing to export (tester BG).
    if (err?.code === 'NOT_FOUND') state.subjects = {};
    renderChrome();
    setExports(false);
    renderInfo();
    setStatus(null);
    showError(err);
  }
}

function setExports(on) {
  $('export-png').disabled = !on;
  $('export-graphml').disabled = !on;
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
const ENUMS = {
  kind: 'kind', tier: 'tier', lifecycleStage: 'lifecycleStage', role: 'role', stance: 'stance', type: 'edge',
  customerKind: 'customerKind', gender: 'gender', polarity: 'polarity', stage: 'projectStage', status: 'projectStatus',
};
// Edge `kind` is a subsidiary kind, a reporting line or a personal tie (MapEdge.kind).
const EDGE_ENUMS = { ...ENUMS, kind: 'edgeKind' };

function fieldValue(key, value, enums = ENUMS) {
  if (typeof value === 'boolean') return t(value ? 'yes' : 'no');
  if (enums[key]) return label(enums[key], value);
  if (typeof value === 'number') return formatNumber(value, 2); // 影响力 0.12, not 0.120555
  if (Array.isArray(value)) return value.map((x) => fieldValue(key, x, enums)).join('、');
  return String(value);
}

/** A property's name for people: f.* for the map's own fields, p.* for stored properties;
 * an unknown (custom) key is shown as stored. */
function fieldName(key) {
  if (hasText(`f.${key}`)) return t(`f.${key}`);
  if (hasText(`p.${key}`)) return t(`p.${key}`);
  return key;
}

function rows(obj, keys, enums = ENUMS) {
  return keys.filter((k) => obj[k] != null && obj[k] !== '' && !(k === 'hidden' && !obj[k]))
    .map((k) => [h('dt', { 'data-key': k }, t(`f.${k}`)), h('dd', {}, fieldValue(k, obj[k], enums))]);
}

const UNSHOWN = ['id', 'name', 'version', 'custom', 'createdAt', 'updatedAt', 'archivedAt', 'apiKeyHash'];

function extraRows(data, shown, enums = ENUMS) {
  if (!data || typeof data !== 'object') return [];
  return Object.entries(data)
    .filter(([k, v]) => !shown.includes(k) && !UNSHOWN.includes(k) && v != null && v !== ''
      && (typeof v !== 'object' || (Array.isArray(v) && v.length && v.every((x) => typeof x !== 'object'))))
    .slice(0, 20)
    .map(([k, v]) => [h('dt', { 'data-key': k }, fieldName(k)), h('dd', {}, fieldValue(k, v, enums))]);
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
      h('dl', {}, rows(d, EDGE_FIELDS, EDGE_ENUMS), extraRows(d.data, EDGE_FIELDS, EDGE_ENUMS)));
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
    h('h3', { class: 'node-name' }, displayName(d)),
    getLang() === 'en' && d.nameEn && d.nameEn !== d.name ? h('p', { class: 'muted node-alt-name' }, d.name) : null,
    h('dl', {}, rows(d, FIELDS), extraRows(d.data, FIELDS)),
    roles.length ? h('ul', { class: 'plain project-roles' }, roles.map((r) => h('li', {},
      h('a', { href: route('decision', r.projectId) }, r.project || r.projectId), ' ',
      h('span', { class: 'badge role' }, label('role', r.role)),
      r.stance ? h('span', { class: `badge stance-${r.stance}` }, label('stance', r.stance)) : null))) : null,
    d.rollup ? h('p', { class: 'muted rollup' }, rollupText(d.rollup, d)) : null,
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
  const seq = loadSeq;
  setStatus(t('loading'));
  setPageState('loading');
  try {
    const asOf = state.asOf || null;
    const map = d.kind === 'PERSON' && d.companyId
      ? await contactMap({ company: d.companyId, asOf, includeInfluence: state.options.influence })
      : await accountMap({ center: d.id, depth: 1, asOf });
    if (seq !== loadSeq) return; // the user went to another page meanwhile: not into its drawing
    remember(map.nodes);
    const added = graph.add(map);
    if (added > 0) {
      state.modified = true;
      graph.relayout();
    }
    renderEdgeKinds();
    setStatus(added > 0 ? mapStatus(map) : t('expand.none'));
    setPageState('ready');
  } catch (err) {
    if (seq !== loadSeq) return;
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
    onclick: () => {
      state.known.set(hit.id, { ...hit, isCustomer: Boolean(hit.node?.customer), hidden: false });
      closeResults();
    },
  }, h('span', { class: 'hit-name' }, hit.name),
  hit.nameEn && hit.nameEn !== hit.name ? h('span', { class: 'muted' }, ` ${hit.nameEn}`) : null,
  ' ', h('span', { class: 'badge' }, label('kind', hit.kind))));
}

let searchSeq = 0;
const SEARCH_HITS = 20;
let searchTimer = null;

async function runSearch() {
  const text = $('search').value.trim();
  const seq = ++searchSeq;
  if (!text) { closeResults(); return; }
  try {
    const hits = await search(text, SEARCH_HITS);
    if (seq !== searchSeq) return;
    const list = $('search-results');
    // Every hit the server returned (the list scrolls); a full page means there may be more.
    // replaceChildren writes a null as the text "null": the "more" line only when there is one.
    list.replaceChildren(...(hits.length ? hits.map(hitItem) : [h('li', { class: 'muted' }, t('search.none'))]),
      ...(hits.length >= SEARCH_HITS ? [h('li', { class: 'muted search-more' }, t('search.more', { n: hits.length }))] : []));
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

async function loadStarts(current = () => true) {
  setPageState('loading');
  try {
    starts = starts || await search('集团', 5);
    if (!current()) return;
    $('starts').replaceChildren(...(starts.length ? starts.map(hitItem) : [h('li', { class: 'muted' }, t('landing.none'))]));
    setPageState('ready');
  } catch (err) {
    if (!current()) return;
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
$('fit').addEventListener('click', () => graph.fitAll());
$('as-of').addEventListener('change', (evt) => { state.asOf = evt.target.value; render(); });
$('influence').addEventListener('change', (evt) => { state.options.influence = evt.target.checked; render(); });
$('subsidiaries').addEventListener('change', (evt) => { state.options.subsidiaries = evt.target.checked; render(); });
$('error-close').addEventListener('click', clearError);
$('error-retry').addEventListener('click', () => { clearError(); render(); });

// ---------- the API key (sign in / sign out) ----------

const KEY = 'crm.apiKey';

// Who the saved key signs in as ({ key, name, roles }), once the server has said so.
let signedIn = null;
// The saved key the server answered UNAUTHENTICATED to: then nobody is signed in.
let refusedKey = null;

function renderKey() {
  const key = localStorage.getItem(KEY);
  const tail = key ? key.slice(-4) : '';
  const btn = $('key-btn');
  const who = key && signedIn?.key === key ? signedIn : null;
  const refused = Boolean(key) && !who && refusedKey === key;
  const roles = who ? who.roles.map((role) => label('userRole', role)).join(getLang() === 'zh' ? '、' : ', ') : '';
  if (who) {
    btn.textContent = t('key.who', { name: who.name, roles });
    btn.title = t('key.whoTitle', { name: who.name, tail });
  } else if (refused) {
    btn.textContent = t('key.refused', { tail });
    btn.title = t('key.refusedTitle', { tail });
  } else {
    btn.textContent = key ? t('key.set', { tail }) : t('key.none');
    btn.title = t(key ? 'key.setTitle' : 'key.noneTitle');
  }
  btn.dataset.signedIn = refused ? 'refused' : key ? 'yes' : 'no';
  $('key-current').hidden = !key;
  $('key-current').textContent = key ? t('key.current', { tail }) : '';
  $('key-forget').hidden = !key;
}

/** Asks the server who the saved key is; a refused key keeps showing its last characters. */
async function loadSignedIn() {
  const key = localStorage.getItem(KEY);
  if (!key || signedIn?.key === key) return;
  try {
    const who = await me();
    if (localStorage.getItem(KEY) === key) {
      signedIn = { key, ...who };
      refusedKey = null;
    }
  } catch (err) {
    signedIn = null;  // the page itself reports why the key is refused
    if (err?.code === 'UNAUTHENTICATED') keyRefused(key);
  }
  renderKey();
}

/** The server refused the saved key: the header says so rather than "signed in". */
function keyRefused(key = localStorage.getItem(KEY)) {
  if (!key || key !== localStorage.getItem(KEY)) return;
  refusedKey = key;
  if (signedIn?.key === key) signedIn = null;
  renderKey();
}

function openKeyDialog() {
  renderKey();
  $('key-input').value = '';
  $('key-dialog').showModal();
  $('key-input').focus();
}

/** A new key (or none): forget what the old one showed and load the page again. */
function keyChanged(key) {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
  $('key-dialog').close();
  starts = null;
  state.known.clear();
  state.subjects = {};
  signedIn = null;
  refusedKey = null;
  renderKey();
  loadSignedIn();
  render();
}

$('key-btn').addEventListener('click', openKeyDialog);
$('error-key').addEventListener('click', openKeyDialog);
$('key-form').addEventListener('submit', (evt) => {
  evt.preventDefault();
  const key = $('key-input').value.trim();
  if (key) keyChanged(key);
});
$('key-forget').addEventListener('click', () => keyChanged(null));
$('key-cancel').addEventListener('click', () => $('key-dialog').close());
$('lang').addEventListener('click', () => {
  setLang(getLang() === 'zh' ? 'en' : 'zh');
  renderKey();
  if (shownError) renderError();
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
renderKey();
loadSignedIn();
render();
