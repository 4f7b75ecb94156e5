// Churn warnings (流失预警), route #/risk/all: customers the signed-in user sees at churn risk,
// highest first, with their signals; filters by level and "only mine"; and a small summary:
// the 80/20 line and the churn analysis counts. A panel view: it fills the stage.
import { churnSummary, churnWarnings, myUserId } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, getLang, label, t } from '../i18n.js';
import { amount, levelBadge, segmentBadge } from './intelligence.js';

const LEVELS = ['HIGH', 'MEDIUM', 'LOW'];
const PAGE = 20;

function pct(value) {
  return value == null ? '—'
    : new Intl.NumberFormat(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { style: 'percent', maximumFractionDigits: 0 }).format(value);
}

function num(value) {
  return value == null ? '—'
    : new Intl.NumberFormat(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { maximumFractionDigits: 1 }).format(value);
}

// The churn analysis' keys are stage names or reason codes; the label group says which.
const KEY_LABELS = {
  lostByReason: 'lostReason', lostByStage: 'lifecycleStage', atRiskByReason: 'churnSignal', atRiskByStage: 'lifecycleStage',
};

class RiskPage {
  constructor(ctx) {
    this.ctx = ctx;
    this.levels = new Set(['HIGH', 'MEDIUM']);
    this.mine = false;
    this.me = null;
    this.rows = [];
    this.pageInfo = { hasNextPage: false, endCursor: null };
    this.summary = null;
    this.seq = 0;
    this.moreFor = null; // the seq whose next page is being fetched
    this.root = h('div', { class: 'risk-page' });
  }

  query(after = null) {
    return { first: PAGE, after, levels: [...this.levels], owner: this.mine ? this.me : null };
  }

  async load() {
    const [page, summary, me] = await Promise.all([churnWarnings(this.query()), churnSummary(), myUserId()]);
    this.rows = page.nodes;
    this.pageInfo = page.pageInfo;
    this.summary = summary;
    this.me = me;
  }

  /** The first page again (filters changed), or the next one: one at a time, so a second
   * click while it loads does nothing, and appended only while its cursor is still the end. */
  async reload(more = false, button = null) {
    if (more && (this.moreFor === this.seq || !this.pageInfo.hasNextPage)) return;
    const seq = more ? this.seq : ++this.seq;
    const after = more ? this.pageInfo.endCursor : null;
    if (more) {
      this.moreFor = seq;
      if (button) {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        button.textContent = t('loading');
      }
    }
    this.ctx.setPageState('loading');
    try {
      const page = await churnWarnings(this.query(after));
      if (seq !== this.seq) return; // the filters changed meanwhile
      if (more && this.pageInfo.endCursor !== after) return; // this page is already in
      this.rows = more ? [...this.rows, ...page.nodes] : page.nodes;
      this.pageInfo = page.pageInfo;
      if (more) this.moreFor = null;
      this.renderTable();
      this.ctx.setPageState('ready');
    } catch (err) {
      if (more && this.moreFor === seq) {
        this.moreFor = null;
        this.renderTable();
      }
      this.ctx.showError(err);
    } finally {
      if (more && this.moreFor === seq) this.moreFor = null;
    }
  }

  render() {
    this.table = h('section', { class: 'card risk-list', id: 'risk-list' });
    this.root.replaceChildren(
      h('header', { class: 'panel-head' }, h('h2', {}, t('risk.heading'))),
      h('p', { class: 'muted' }, t('risk.hint')),
      h('div', { class: 'panel-grid risk-grid' },
        h('div', { class: 'panel-col' }, this.filters(), this.table),
        h('div', { class: 'panel-col' }, this.renderSummary())));
    this.renderTable();
    return this.root;
  }

  filters() {
    return h('div', { class: 'card risk-filters' },
      h('fieldset', { class: 'levels' }, h('legend', { class: 'muted small' }, t('risk.levels')),
        LEVELS.map((lv) => h('label', { class: 'chip' }, h('input', {
          type: 'checkbox', name: 'level', value: lv, checked: this.levels.has(lv),
          onchange: (evt) => {
            if (evt.target.checked) this.levels.add(lv);
            else this.levels.delete(lv);
            this.reload();
          },
        }), label('churnLevel', lv)))),
      this.me
        ? h('label', {}, h('input', {
          type: 'checkbox', name: 'mine', checked: this.mine,
          onchange: (evt) => { this.mine = evt.target.checked; this.reload(); },
        }), ' ', t('risk.mine'))
        : h('p', { class: 'muted small mine-unknown' }, t('risk.mineUnknown')));
  }

  renderTable() {
    const cols = ['customer', 'risk', 'level', 'signals', 'value', 'segment', 'stage'];
    const row = (w) => h('tr', { class: 'warning', 'data-id': w.id, 'data-risk': w.churnRisk },
      h('td', {}, w.customer
        ? h('a', { href: route('customer', w.customer.id), class: 'customer-link' }, displayName(w.customer))
        : w.id),
      h('td', { class: 'num' }, String(w.churnRisk)),
      h('td', {}, levelBadge(w.churnLevel)),
      h('td', { class: 'reasons' }, w.reasons.map((r) => h('span', { class: 'badge', 'data-reason': r }, label('churnSignal', r)))),
      h('td', { class: 'num' }, num(w.value)),
      h('td', {}, segmentBadge(w.segment)),
      h('td', {}, label('lifecycleStage', w.stage)));
    this.table.replaceChildren(...[
      this.rows.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'risk-table' },
          h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, t(`risk.${c}`))))),
          h('tbody', {}, this.rows.map(row))))
        : h('p', { class: 'muted risk-none' }, t('risk.none')),
      this.pageInfo.hasNextPage
        ? h('button', {
          type: 'button', class: 'ghost more', disabled: this.moreFor === this.seq,
          onclick: (evt) => this.reload(true, evt.currentTarget),
        }, t('risk.more'))
        : (this.rows.length ? h('p', { class: 'muted small end' }, t('risk.end')) : null),
    ].filter(Boolean));
  }

  renderSummary() {
    const { pareto: p, churnAnalysis: c } = this.summary;
    const counts = (key) => h('div', { class: 'counts', 'data-counts': key },
      h('h4', {}, t(`risk.${key}`)),
      c[key].length
        ? h('ul', { class: 'plain compact' }, c[key].map((kc) => h('li', { 'data-key': kc.key ?? '' },
          label(KEY_LABELS[key], kc.key) || '—', getLang() === 'zh' ? '：' : ': ', h('strong', {}, String(kc.count)))))
        : h('p', { class: 'muted small' }, t('risk.empty')));
    return h('section', { class: 'card risk-summary', id: 'risk-summary' },
      h('h3', {}, t('risk.summary')),
      h('p', { class: 'pareto', 'data-top-share': p.topShare ?? '' }, p.customers && p.topShare != null
        ? t('risk.pareto', {
          // The share of customers actually counted: the top 20% of 6 customers is 2, a third.
          from: p.since, to: lastDay(p.until), pct: pct(p.topCustomers / p.customers), top: p.topCustomers, n: p.customers, share: pct(p.topShare),
          topAmount: amount(p.topAmount, p.currency), total: amount(p.totalAmount, p.currency),
        })
        : t('risk.paretoNone', { currency: p.currency })),
      counts('atRiskByReason'), counts('atRiskByStage'), counts('lostByReason'), counts('lostByStage'));
  }
}

// The API's `until` is exclusive; people read "to" as the last day included.
function lastDay(until) {
  const d = new Date(`${until}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

export default {
  id: 'risk',
  subject: null, // about no one node: the id is always "all"
  panel: true,
  async load(_args, ctx) {
    const page = new RiskPage(ctx);
    await page.load();
    return { map: { nodes: [], edges: [] }, known: [], panel: () => page.render(), risk: page };
  },
};
