// The drawing: one Cytoscape instance, fed with GraphMap-shaped {nodes, edges}.
// Styles encode kind (shape), stance (colour), hidden influencers (dashed border) and
// edge type (colour/line); labels follow the interface language.

import cytoscape from '../node_modules/cytoscape/dist/cytoscape.esm.min.mjs';
import dagre from '../node_modules/cytoscape-dagre/dist/cytoscape-dagre.mjs';
import { displayName, label, t } from './i18n.js';

cytoscape.use(dagre);

// Below this zoom the 15px labels become too small to read (about 10px on screen).
const MIN_READABLE_ZOOM = 0.65;
const MAX_FIT_ZOOM = 1.6;
const FIT_PADDING = 24;
// Label lines: about this many CJK characters (Latin letters count half) per line, at most
// LABEL_LINES lines of a name; the rest is cut with "…" (the details panel and the tooltip
// show the whole name).
const LABEL_WIDTH = 10;
const LABEL_LINES = 3;
export const FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';

const STANCE_COLOURS = { SUPPORTER: '#2e9d4f', NEUTRAL: '#d9a400', OPPONENT: '#d64545', UNKNOWN: '#9aa3ad' };
export const EDGE_COLOURS = {
  SUBSIDIARY_OF: '#34495e', SUPPLIES: '#8e44ad', DISTRIBUTES_FOR: '#16a085', PARTNERS_WITH: '#2980b9',
  INVESTS_IN: '#7f8c8d', INFLUENCES_PURCHASE: '#e67e22', INCUMBENT_AT: '#c0392b', WORKS_AT: '#b0b7bf',
  REPORTS_TO: '#5d6d7e', INFLUENCES: '#e67e22', RELATED_TO: '#e84393', PARTICIPATES_IN: '#95a5a6',
  FOR: '#95a5a6', OWNS: '#1e6fd9', ON_TEAM: '#1e6fd9', KNOWS: '#1e6fd9',
};

const STYLE = [
  {
    selector: 'node',
    style: {
      label: 'data(label)', 'font-family': FONT, 'font-size': 15, color: '#1f2933',
      'text-wrap': 'wrap', 'text-max-width': 180, 'text-valign': 'bottom', 'text-margin-y': 4,
      'text-background-color': '#ffffff', 'text-background-opacity': 0.8, 'text-background-padding': 2,
      'background-color': '#6c8ebf', width: 30, height: 30, 'border-width': 1, 'border-color': '#ffffff',
    },
  },
  { selector: 'node[kind = "COMPANY"]', style: { shape: 'round-rectangle', width: 38, height: 28, 'background-color': '#4a6fa5' } },
  { selector: 'node[kind = "COMPANY"][?isCustomer]', style: { 'background-color': '#1e4f91', 'border-color': '#f5b700', 'border-width': 3 } },
  { selector: 'node[kind = "PERSON"]', style: { shape: 'ellipse', 'background-color': '#7aa6d6' } },
  { selector: 'node[kind = "PROJECT"]', style: { shape: 'diamond', 'background-color': '#f08a24', width: 34, height: 34 } },
  { selector: 'node[kind = "USER"]', style: { shape: 'hexagon', 'background-color': '#1e6fd9' } },
  ...Object.entries(STANCE_COLOURS).map(([stance, colour]) => ({
    selector: `node[stance = "${stance}"]`, style: { 'background-color': colour },
  })),
  { selector: 'node[role = "DECISION_MAKER"], node[?root]', style: { width: 44, height: 44, 'font-weight': 'bold' } },
  { selector: 'node[kind = "COMPANY"][?root]', style: { width: 54, height: 36 } },
  // A decision tree colours every person by stance: one with none recorded (a hidden
  // influencer) is grey like UNKNOWN, as the legend says.
  { selector: 'node.no-stance', style: { 'background-color': STANCE_COLOURS.UNKNOWN } },
  { selector: 'node[?hidden]', style: { 'border-style': 'dashed', 'border-width': 3, 'border-color': '#6b2fb3' } },
  { selector: 'node[?center]', style: { 'border-width': 4, 'border-color': '#111827' } },
  {
    selector: 'edge',
    style: {
      width: 1.5, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.8,
      'line-color': '#b0b7bf', 'target-arrow-color': '#b0b7bf', 'font-family': FONT, 'font-size': 10,
      'text-rotation': 'autorotate', color: '#4b5563',
    },
  },
  ...Object.entries(EDGE_COLOURS).map(([type, colour]) => ({
    selector: `edge[type = "${type}"]`, style: { 'line-color': colour, 'target-arrow-color': colour },
  })),
  { selector: 'edge[type = "INFLUENCES"]', style: { 'line-style': 'dashed', width: 'mapData(strength, 0, 1, 1, 5)' } },
  { selector: 'edge[type = "INFLUENCES"][polarity = "NEGATIVE"]', style: { 'line-color': '#d64545', 'target-arrow-color': '#d64545' } },
  { selector: 'edge[type = "REPORTS_TO"][kind = "DOTTED"]', style: { 'line-style': 'dotted' } },
  { selector: 'edge[type = "KNOWS"]', style: { 'line-style': 'dotted', width: 'mapData(strength, 0, 1, 1, 4)' } },
  { selector: 'edge[type = "WORKS_AT"]', style: { width: 1, opacity: 0.35, 'target-arrow-shape': 'none' } },
  { selector: 'edge.labelled', style: { label: 'data(label)' } },
  { selector: ':selected', style: { 'overlay-color': '#1e6fd9', 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
  { selector: '.faded', style: { opacity: 0.15 } },
  { selector: 'edge.highlight', style: { width: 5, 'line-color': '#111827', 'target-arrow-color': '#111827', 'z-index': 10 } },
  { selector: 'node.highlight', style: { 'border-width': 4, 'border-color': '#111827' } },
  { selector: '.kind-hidden', style: { display: 'none' } },
];

const wide = (c) => (/[\u0000-\u02ff]/.test(c) ? 0.5 : 1);

/** Breaks text into lines of about `width` CJK characters (at a space when Latin), at most
 * `lines` lines, the last cut with "…". Cytoscape wraps only at spaces, so a long Chinese
 * company name would otherwise run across the whole canvas. */
export function wrapLabel(text, width = LABEL_WIDTH, lines = LABEL_LINES) {
  // Even lines rather than a full one and an orphan: 10 characters as 5 + 5, not 9 + 1.
  const total = [...String(text)].reduce((sum, x) => sum + wide(x), 0);
  const needed = Math.ceil(total / width);
  if (needed > 1 && needed <= lines) width = Math.ceil(total / needed);
  const out = [];
  let line = '';
  let used = 0;
  let lastStart = 0;
  const chars = [...String(text)];
  for (let i = 0; i < chars.length; i += 1) {
    const c = chars[i];
    if (used + wide(c) > width && line) {
      // Latin: go back to the last space of the line, if there is one.
      const cut = /[\u0000-\u02ff]/.test(c) && c !== ' ' ? line.lastIndexOf(' ') : -1;
      if (cut > 0) {
        out.push(line.slice(0, cut));
        line = line.slice(cut + 1);
      } else {
        out.push(line);
        line = '';
      }
      used = [...line].reduce((sum, x) => sum + wide(x), 0);
      if (out.length === lines - 1) lastStart = i - [...line].length; // where the last line begins
      if (out.length === lines) {
        // The last line keeps the name's end: "… (Suzhou) Co., Ltd." tells two branches of
        // one group apart, where "Huaxing Intelligent Manufactu…" made them look the same.
        let tail = '';
        let room = width - 1;
        for (let j = chars.length - 1; j >= lastStart && room - wide(chars[j]) >= 0; j -= 1) {
          tail = chars[j] + tail;
          room -= wide(chars[j]);
        }
        out[lines - 1] = `…${tail.replace(/^\s+/, '')}`;
        return out.join('\n');
      }
      if (c === ' ' && !line) continue;
    }
    line += c;
    used += wide(c);
  }
  if (line) out.push(line);
  return out.join('\n');
}

/** Name, then the decision role in role mode (decision trees) or else the job title. */
function nodeLabel(n, roleFirst) {
  const name = wrapLabel(displayName(n), LABEL_WIDTH, n.kind === 'PERSON' ? 2 : LABEL_LINES);
  if (n.hidden) return `${name}\n(${t('dt.hiddenOne')})`;
  if (n.role && (roleFirst || !n.title)) return `${name}\n[${label('role', n.role)}]`;
  if (n.kind === 'PERSON' && n.title) return `${name}\n${wrapLabel(n.title, LABEL_WIDTH, 1)}`;
  return name;
}

function nodeElement(n, extra, roleFirst) {
  // Role mode is the decision tree, where colour is stance for everyone.
  const classes = roleFirst && n.kind === 'PERSON' && !n.stance ? 'no-stance' : '';
  return { group: 'nodes', data: { ...n, ...extra, label: nodeLabel(n, roleFirst) }, classes };
}

function edgeElement(e) {
  return { group: 'edges', data: { ...e, label: label('edge', e.type) } };
}

export class Graph {
  constructor(container, { onSelect, onBackground }) {
    this.cy = cytoscape({
      container, style: STYLE, minZoom: 0.1, maxZoom: 4,
      boxSelectionEnabled: false,
    });
    this.hiddenTypes = new Set();
    this.layoutEdges = null;
    this.cy.on('tap', 'node, edge', (evt) => onSelect(evt.target));
    this.cy.on('tap', (evt) => { if (evt.target === this.cy) onBackground(); });
    // The whole name (labels may be cut) as the canvas's tooltip.
    this.cy.on('mouseover', 'node', (evt) => {
      const d = evt.target.data();
      container.title = d.nameEn && d.nameEn !== d.name ? `${d.name}\n${d.nameEn}` : d.name;
    });
    this.cy.on('mouseout', 'node', () => { container.title = ''; });
  }

  /** Replaces the drawing. `marks` maps node id -> extra data (center, root...). */
  show(map, { layout = 'cose', layoutEdges = null, marks = {}, roleLabels = false } = {}) {
    this.cy.elements().remove();
    this.roleLabels = roleLabels;
    this.layoutName = layout;
    this.layoutEdges = layoutEdges;
    this.add(map, marks);
    this.relayout();
  }

  /** Adds the nodes and edges not drawn yet; returns how many elements were new. */
  add(map, marks = {}) {
    const fresh = [];
    for (const n of map.nodes) {
      if (this.cy.getElementById(n.id).empty()) fresh.push(nodeElement(n, marks[n.id], this.roleLabels));
    }
    const ids = new Set(map.nodes.map((n) => n.id));
    for (const e of map.edges) {
      const ends = [e.source, e.target].every((id) => ids.has(id) || this.cy.getElementById(id).nonempty());
      if (ends && this.cy.getElementById(e.id).empty()) fresh.push(edgeElement(e));
    }
    this.cy.add(fresh);
    this.applyFilter();
    return fresh.length;
  }

  relayout() {
    const { cy } = this;
    cy.resize(); // the container may have been hidden (zero-sized) when it was last measured
    if (cy.nodes().empty()) return;
    let layout;
    if (this.layoutName === 'dagre') {
      const keep = this.layoutEdges;
      const edges = keep ? cy.edges().filter((e) => (typeof keep === 'function' ? keep(e) : keep.includes(e.data('type')))) : cy.edges();
      // Edges point child -> parent (SUBSIDIARY_OF, REPORTS_TO, INFLUENCES -> decider): bottom-to-top.
      layout = cy.nodes().union(edges).layout({ name: 'dagre', rankDir: 'BT', nodeSep: 30, rankSep: 70, fit: false, nodeDimensionsIncludeLabels: true });
    } else if (this.layoutName === 'paths') {
      layout = cy.layout({ name: 'dagre', rankDir: 'LR', nodeSep: 30, rankSep: 80, fit: false, nodeDimensionsIncludeLabels: true });
    } else {
      // Laid out in a box of the visible canvas's shape (at a readable zoom), so a map opens
      // filling the screen rather than as a tall or wide strip that must be shrunk to fit.
      const box = this.visibleBox();
      const k = 1 / 0.85;
      layout = cy.layout({
        name: 'cose', animate: false, fit: false, randomize: true, nodeDimensionsIncludeLabels: true,
        boundingBox: { x1: 0, y1: 0, w: Math.max(300, (box.x2 - box.x1) * k), h: Math.max(300, (box.y2 - box.y1) * k) },
        nodeRepulsion: () => 400000, idealEdgeLength: () => 110, nodeOverlap: 20, componentSpacing: 80,
      });
    }
    layout.one('layoutstop', () => this.fitReadable());
    layout.run();
  }

  /** The part of the canvas nothing covers, in rendered pixels: below the status banner and
   * clear of the side panel where it overlaps (narrow screens). */
  visibleBox() {
    const { cy } = this;
    const box = { x1: 0, y1: 0, x2: cy.width(), y2: cy.height() };
    const area = cy.container().getBoundingClientRect();
    const banner = cy.container().parentElement?.querySelector('.status');
    if (banner && !banner.hidden) {
      const r = banner.getBoundingClientRect();
      if (r.height) box.y1 = Math.max(box.y1, r.bottom - area.top);
    }
    const side = document.querySelector('.side');
    if (side && side.offsetParent) {
      const r = side.getBoundingClientRect();
      const overlaps = r.left < area.right && r.right > area.left && r.top < area.bottom && r.bottom > area.top;
      if (overlaps && r.left > area.left) box.x2 = Math.min(box.x2, r.left - area.left);
    }
    return box;
  }

  /** Fits the drawing into the visible part of the canvas, but never so small that names
   * become unreadable: a graph too big for that is centred on its focus (the centre company,
   * a tree's root) at the smallest readable zoom. The Fit button (`fitAll`) shows all of it. */
  fitReadable(minZoom = MIN_READABLE_ZOOM) {
    const { cy } = this;
    const eles = cy.elements(':visible');
    if (eles.nodes().empty()) return;
    const box = this.visibleBox();
    const w = Math.max(40, box.x2 - box.x1 - 2 * FIT_PADDING);
    const h = Math.max(40, box.y2 - box.y1 - 2 * FIT_PADDING);
    const bb = eles.boundingBox({ includeLabels: true });
    const fit = Math.min(w / Math.max(bb.w, 1), h / Math.max(bb.h, 1), MAX_FIT_ZOOM);
    const zoom = Math.max(fit, minZoom);
    cy.zoom(zoom);
    const cx = box.x1 + FIT_PADDING + w / 2;
    const cyy = box.y1 + FIT_PADDING + h / 2;
    let pan;
    if (zoom === fit) {
      pan = { x: cx - ((bb.x1 + bb.x2) / 2) * zoom, y: cyy - ((bb.y1 + bb.y2) / 2) * zoom };
    } else {
      let focus = cy.nodes('[?center]').first();
      if (focus.empty()) focus = cy.nodes('[?root]').first();
      if (focus.empty() && this.layoutName === 'dagre') {
        // A tree without a marked root: the middle of its top row.
        const top = Math.min(...cy.nodes().map((n) => n.position('y')));
        const row = cy.nodes().filter((n) => n.position('y') === top).sort((a, b) => a.position('x') - b.position('x'));
        focus = row[Math.floor(row.length / 2)];
      }
      const p = focus && focus.nonempty() ? focus.position() : { x: (bb.x1 + bb.x2) / 2, y: (bb.y1 + bb.y2) / 2 };
      pan = { x: cx - p.x * zoom, y: cyy - p.y * zoom };
      // Where the graph is narrower (or lower) than the view, centre it on that axis instead
      // of leaving it half off-screen; else keep its edge at the view's edge.
      for (const [axis, lo, hi, size, c] of [['x', bb.x1, bb.x2, w, cx], ['y', bb.y1, bb.y2, h, cyy]]) {
        const span = (hi - lo) * zoom;
        const start = axis === 'x' ? box.x1 + FIT_PADDING : box.y1 + FIT_PADDING;
        if (span <= size) pan[axis] = c - ((lo + hi) / 2) * zoom;
        else pan[axis] = Math.min(start - lo * zoom, Math.max(start + size - hi * zoom, pan[axis]));
      }
    }
    cy.pan(pan);
  }

  /** The whole drawing in the visible part of the canvas, however small. */
  fitAll() {
    this.fitReadable(0.05);
  }

  refreshLabels() {
    this.cy.nodes().forEach((n) => n.data('label', nodeLabel(n.data(), this.roleLabels)));
    this.cy.edges().forEach((e) => e.data('label', label('edge', e.data('type'))));
  }

  edgeTypes() {
    return [...new Set(this.cy.edges().map((e) => e.data('type')))].sort();
  }

  setHiddenTypes(types) {
    this.hiddenTypes = new Set(types);
    this.applyFilter();
  }

  applyFilter() {
    this.cy.edges().forEach((e) => { e.toggleClass('kind-hidden', this.hiddenTypes.has(e.data('type'))); });
  }

  /** Fades everything except the given node and edge ids. */
  highlight(nodeIds, edgeIds) {
    const { cy } = this;
    cy.elements().removeClass('highlight faded');
    if (!nodeIds) return;
    const keep = cy.collection();
    nodeIds.forEach((id) => { keep.merge(cy.getElementById(id)); });
    edgeIds.forEach((id) => { keep.merge(cy.getElementById(id)); });
    cy.elements().not(keep).addClass('faded');
    keep.addClass('highlight');
  }

  snapshot() {
    return {
      nodes: this.cy.nodes().map((n) => n.data()),
      edges: this.cy.edges().map((e) => e.data()),
    };
  }

  png() {
    return this.cy.png({ output: 'blob', full: true, scale: 2, bg: '#ffffff' });
  }
}

function xml(value) {
  return String(value).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }[c]));
}

/** GraphML for what is on screen (after expansions or for paths, which have no server GraphML). */
export function toGraphML({ nodes, edges }) {
  const nodeKeys = ['name', 'nameEn', 'kind', 'title', 'department', 'role', 'stance', 'influence', 'hidden'];
  const edgeKeys = ['type', 'kind', 'since', 'until', 'strength', 'polarity'];
  const keys = [
    ...nodeKeys.map((k) => `<key id="n_${k}" for="node" attr.name="${k}" attr.type="string"/>`),
    ...edgeKeys.map((k) => `<key id="e_${k}" for="edge" attr.name="${k}" attr.type="string"/>`),
  ];
  const values = (obj, prefix, names) => names.filter((k) => obj[k] != null && obj[k] !== '')
    .map((k) => `<data key="${prefix}_${k}">${xml(obj[k])}</data>`).join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ...keys,
    '<graph id="G" edgedefault="directed">',
    ...nodes.map((n) => `<node id="${xml(n.id)}">${values(n, 'n', nodeKeys)}</node>`),
    ...edges.map((e) => `<edge id="${xml(e.id)}" source="${xml(e.source)}" target="${xml(e.target)}">${values(e, 'e', edgeKeys)}</edge>`),
    '</graph>', '</graphml>', '',
  ].join('\n');
}
