// The drawing: one Cytoscape instance, fed with GraphMap-shaped {nodes, edges}.
// Styles encode kind (shape), stance (colour), hidden influencers (dashed border) and
// edge type (colour/line); labels follow the interface language.

import cytoscape from '../node_modules/cytoscape/dist/cytoscape.esm.min.mjs';
import dagre from '../node_modules/cytoscape-dagre/dist/cytoscape-dagre.mjs';
import { displayName, label, t } from './i18n.js';

cytoscape.use(dagre);

const MIN_READABLE_ZOOM = 0.9;
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
      'text-wrap': 'wrap', 'text-max-width': 130, 'text-valign': 'bottom', 'text-margin-y': 4,
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

/** Name, then the decision role in role mode (decision trees) or else the job title. */
function nodeLabel(n, roleFirst) {
  const name = displayName(n);
  if (n.hidden) return `${name}\n(${t('dt.hidden')})`;
  if (n.role && (roleFirst || !n.title)) return `${name}\n[${label('role', n.role)}]`;
  if (n.kind === 'PERSON' && n.title) return `${name}\n${n.title}`;
  return name;
}

function nodeElement(n, extra, roleFirst) {
  return { group: 'nodes', data: { ...n, ...extra, label: nodeLabel(n, roleFirst) } };
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
      layout = cy.layout({
        name: 'cose', animate: false, fit: false, randomize: true, nodeDimensionsIncludeLabels: true,
        nodeRepulsion: () => 400000, idealEdgeLength: () => 110, nodeOverlap: 20, componentSpacing: 80,
      });
    }
    layout.one('layoutstop', () => this.fitReadable());
    layout.run();
  }

  /** Fits the drawing, but never so small that names become unreadable. */
  fitReadable() {
    const { cy } = this;
    cy.fit(undefined, 30);
    if (cy.zoom() > 1.6) {
      cy.zoom(1.6);
      cy.center();
    }
    // Rather than shrink the text, show part of a big map: a tree from its top, a map around its
    // centre. The Fit button shows the whole of it.
    if (cy.zoom() < MIN_READABLE_ZOOM) {
      cy.zoom(MIN_READABLE_ZOOM);
      if (this.layoutName === 'dagre') {
        const top = Math.min(...cy.nodes().map((n) => n.position('y')));
        const row = cy.nodes().filter((n) => n.position('y') === top).sort((a, b) => a.position('x') - b.position('x'));
        const focus = row[Math.floor(row.length / 2)];
        cy.pan({ x: cy.width() / 2 - focus.position('x') * cy.zoom(), y: 60 - focus.position('y') * cy.zoom() });
      } else {
        const focus = cy.nodes('[?center], [?root]').first();
        cy.center(focus.nonempty() ? focus : undefined);
      }
    }
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
