// The "价值与流失 / Value and churn" card of the customer profile: the value score with its five
// factors (each factor's share of the score, its weight and the numbers behind it), the churn
// risk with its signals, the lifecycle stage with a form to move it by hand, and the latest
// lifecycle moves and score snapshots. The numbers are the scoring run's; none is computed here.
import { customerIntelligence, setLifecycleStage } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, formatNumber, formatWhen, getLang, label, t } from '../i18n.js';
import { errorLine } from '../errors.js';

const STAGES = ['POTENTIAL', 'NEW', 'ACTIVE', 'LOST'];
// LAPSED is the rule's reason; the API refuses it by hand.
const LOST_REASONS = ['PRICE', 'COMPETITOR', 'SERVICE', 'QUALITY', 'NO_NEED', 'BUSINESS_CLOSED', 'RELOCATED', 'OTHER'];
// The form's controls by the input path the server names in `errors[].field`.
const FIELDS = { stage: 'input.stage', note: 'input.note', lostReason: 'input.lostReason' };

function locale() {
  return getLang() === 'zh' ? 'zh-CN' : 'en-GB';
}

function num(value, digits = 1) {
  return value == null ? '—' : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

function pct(value, digits = 0) {
  return value == null ? '—' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(value);
}

/** An amount in a currency, e.g. ¥120,000 or CNY 120,000 (whole units: scores need no cents). */
export function amount(value, currency = 'CNY') {
  if (value == null) return '—';
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency, maximumFractionDigits: 0 }).format(value);
  } catch {
    return `${currency} ${num(value, 0)}`;
  }
}

function day(iso) {
  return iso ? formatWhen(iso) : '—';
}

function signedPct(change) {
  return `${change > 0 ? '+' : ''}${pct(change)}`;
}

export function segmentBadge(segment) {
  return segment ? h('span', { class: `badge segment segment-${segment}`, 'data-segment': segment }, label('tier', segment)) : null;
}

export function levelBadge(level) {
  return level ? h('span', { class: `badge level level-${level}`, 'data-level': level }, label('churnLevel', level)) : null;
}

/** A factor's inputs as one readable line. */
function factorText(f) {
  const i = f.inputs || {};
  switch (f.factor) {
    case 'CONTRIBUTION':
      // The score is the revenue's percentile among the peers; their count only for a viewer
      // who reads every customer (the API leaves it out otherwise).
      return t(i.peers != null ? 'fi.contribution' : 'fi.contributionNoPeers',
        { amount: amount(i.revenue, i.currency), days: i.windowDays, peers: i.peers, pct: num(f.score, 0) })
        + (i.unconvertedOrders ? t('fi.unconverted', { n: i.unconvertedOrders }) : '');
    case 'SUPPORT':
      return t('fi.support', {
        kept: i.followUpsKept ?? 0, due: i.followUpsDue ?? 0, surveys: i.surveys365 ?? 0,
        n: i.interactions90 ?? 0, inbound: i.inbound90 ?? 0,
      });
    case 'CREDIT':
      return i.ordersDue
        ? t('fi.credit', { due: i.ordersDue, onTime: i.paidOnTime, overdue: amount((i.overdueCents || 0) / 100) })
        : t('fi.creditNone');
    case 'GROWTH':
      return t('fi.growth', { recent: amount(i.recent), previous: amount(i.previous), days: i.windowDays, change: signedPct(i.change) });
    case 'INFLUENCE':
      return t('fi.influence', {
        referrals: i.referrals ?? 0, group: i.groupCompanies ?? 0, chain: i.chainPartners ?? 0, people: i.peopleInfluence ?? 0,
      });
    default:
      return '';
  }
}

/** A churn signal's evidence as one readable line. */
function signalText(s) {
  const d = s.detail || {};
  const count = (x) => (Array.isArray(x) ? x.length : Number(x) || 0);
  switch (s.reason) {
    case 'OVERDUE_FOR_CYCLE':
      return t('sd.OVERDUE_FOR_CYCLE', { days: d.daysSinceLastOrder, cycle: num(d.cycleDays, 0), ratio: num(d.ratio) });
    case 'FALLING_AMOUNTS':
      return t('sd.FALLING_AMOUNTS', { recent: amount(d.recent), previous: amount(d.previous), days: d.windowDays, change: signedPct(d.change) });
    case 'COMPLAINTS':
      return t('sd.COMPLAINTS', { n: d.complaints180 ?? 0, open: d.open ?? 0 });
    case 'POOR_SATISFACTION':
      return t('sd.POOR_SATISFACTION', { score: num(d.meanSatisfaction) });
    case 'KEY_CONTACT_LEFT':
      return t('sd.KEY_CONTACT_LEFT', { n: count(d.contacts) || s.people.length });
    case 'COMPETITOR_INCUMBENT':
      return t('sd.COMPETITOR_INCUMBENT', { n: count(d.competitors) || s.companies.length });
    case 'LOW_P_ALIVE':
      return t('sd.LOW_P_ALIVE', { p: pct(d.pAlive) });
    default:
      return '';
  }
}

// The scoring rules word their reasons in English (graph/scoring.py); the known ones in Chinese.
const RULE_REASONS = [
  [/^no order yet$/, () => '尚未下单'],
  [/^no order for (\d+) days \(horizon (\d+) days\)$/, (m) => `已 ${m[1]} 天未下单（判定期 ${m[2]} 天）`],
  [/^first order on (\S+)$/, (m) => `首次下单于 ${m[1]}`],
  [/^(\d+) order days$/, (m) => `${m[1]} 个下单日`],
  [/^ordered again on (\S+)$/, (m) => `${m[1]} 再次下单`],
  [/^lost; no order since$/, () => '已流失，此后未再下单'],
  [/^set by hand$/, () => '手动设定'],
];

/** A rule's reason in the page's language; a user's note as typed. */
function ruleReason(text) {
  if (!text || getLang() !== 'zh') return text;
  for (const [re, zh] of RULE_REASONS) {
    const m = re.exec(text);
    if (m) return zh(m);
  }
  return text;
}

function partyLink(p) {
  // A person who is no customer has no profile: their warm-introduction paths instead.
  const view = p.__typename === 'Company' ? 'account' : 'intro';
  return h('a', { href: route(view, p.id), 'data-id': p.id }, displayName(p));
}

export class IntelligenceCard {
  constructor(id, ctx) {
    this.id = id;
    this.ctx = ctx;
    this.data = null;
    this.error = null;
    this.form = { stage: '', note: '', lostReason: '' };
    this.errors = [];
    this.notice = '';
    this.mayEdit = false; // set by the panel from the account's `mayEdit`
    this.box = h('section', { class: 'card intelligence', id: 'cust-intel' });
  }

  async load() {
    try {
      this.data = await customerIntelligence(this.id);
      this.error = null;
    } catch (err) {
      this.data = null;
      this.error = err;
    }
  }

  render() {
    this.capture();
    const fill = (...xs) => this.box.replaceChildren(...xs.flat(Infinity).filter((x) => x != null && x !== false));
    const head = h('h3', {}, t('intel.heading'));
    if (this.error) {
      fill(head, errorLine(this.error, { prefix: t('intel.error') }));
      return this.box;
    }
    const intel = this.data?.intelligence;
    if (!intel) {
      fill(head, h('p', { class: 'muted' }, t('intel.notCustomer')));
      return this.box;
    }
    fill(head,
      intel.scored ? this.scores(intel) : h('p', { class: 'muted not-scored', 'data-scored': 'false' }, t('intel.notScored')),
      this.offers(),
      this.lifecycle(intel.lifecycle),
      this.mayEdit ? this.moveForm(intel.lifecycle) : null,
      this.histories());
    return this.box;
  }

  scores(intel) {
    const rfm = intel.rfm;
    const ri = rfm?.inputs || {};
    return [
      h('div', { class: 'score-head' },
        h('span', { class: 'big-number', 'data-value': intel.value }, num(intel.value)),
        h('span', { class: 'muted' }, ` / 100 ${t('intel.value')}`), ' ',
        segmentBadge(intel.segment),
        rfm?.cell ? h('span', { class: 'badge rfm', 'data-cell': rfm.cell, title: t('intel.rfm') }, rfm.cell) : null),
      h('p', { class: 'muted small rfm-inputs' }, rfm?.cell
        ? t(ri.peers != null ? 'intel.rfmInputs' : 'intel.rfmInputsNoPeers', { window: ri.windowDays, orders: ri.orders, amount: amount(ri.amount, ri.currency), days: ri.daysSinceLastOrder, peers: ri.peers })
        : t('intel.rfmNone')),
      h('h4', {}, t('intel.factors')),
      h('ul', { class: 'plain factors' }, intel.factors.map((f) => this.factor(f))),
      h('h4', {}, t('intel.churn')),
      this.churn(intel),
      h('p', { class: 'muted small scored-at' }, t('intel.scoredAt', { at: day(intel.scoredAt), version: intel.modelVersion || '—' })),
    ];
  }

  factor(f) {
    // The bar's length is the factor's share of the 100 points; its weight is the cap.
    return h('li', { class: 'factor', 'data-factor': f.factor, 'data-share': f.share },
      h('div', { class: 'factor-head' },
        h('strong', {}, label('valueFactor', f.factor)),
        h('span', { class: 'factor-share' }, num(f.share, 2)),
        h('span', { class: 'muted small' }, t('intel.factorMath', { score: num(f.score), weight: pct(f.weight), share: num(f.share, 2) }))),
      h('div', { class: 'bar', title: `${num(f.share, 2)} / ${num(100 * f.weight)}` },
        h('span', { class: 'bar-cap', style: `width:${Math.min(100, 100 * f.weight)}%` },
          h('span', { class: 'bar-fill', style: `width:${f.weight ? Math.min(100, (100 * f.share) / (100 * f.weight)) : 0}%` }))),
      h('div', { class: 'muted small factor-inputs' }, factorText(f)));
  }

  churn(intel) {
    const parts = [];
    if (intel.churnRisk == null) {
      parts.push(h('p', { class: 'muted' }, t('intel.riskNA')));
    } else {
      parts.push(h('div', { class: 'risk-head' },
        h('span', { class: 'big-number', 'data-risk': intel.churnRisk }, String(intel.churnRisk)),
        h('span', { class: 'muted' }, ' / 100 '), levelBadge(intel.churnLevel)));
      parts.push(intel.churnSignals.length
        ? h('ol', { class: 'plain signals' }, intel.churnSignals.map((s) => h('li', { class: 'signal', 'data-reason': s.reason, 'data-points': s.points },
          h('div', {}, h('strong', {}, label('churnSignal', s.reason)), ' ', h('span', { class: 'badge warn' }, t('intel.points', { n: s.points }))),
          h('div', { class: 'small signal-detail' }, signalText(s)),
          s.people.length || s.companies.length
            ? h('div', { class: 'small named' }, [...s.people, ...s.companies].map((p, i) => [i ? ', ' : '', partyLink(p)]))
            : null)))
        : h('p', { class: 'muted' }, t('intel.noSignals')));
    }
    parts.push(h('dl', { class: 'facts' }, h('dt', {}, t('intel.pAlive')),
      h('dd', { 'data-p-alive': intel.pAlive ?? '' }, intel.pAlive == null ? t('intel.pAliveNone') : pct(intel.pAlive))));
    return parts;
  }

  /** What to offer (the cross-selling recommendations), best first, each with its reasons. */
  offers() {
    const recs = this.data.recommendations;
    return [
      h('h4', {}, t('intel.offers')),
      recs.length ? h('ol', { class: 'plain offers' }, recs.map((r) => h('li', { class: 'offer', 'data-product': r.product.id },
        h('strong', {}, r.product.name), ' ', h('span', { class: 'muted small' }, r.product.sku), ' ',
        r.reasons.map((x) => h('span', { class: 'badge' }, label('offerReason', x.kind))),
        r.reasons.map((x) => h('div', { class: 'muted small offer-reason', 'data-kind': x.kind }, offerReason(x))))))
        : h('p', { class: 'muted small' }, t('intel.noOffers')),
    ];
  }

  lifecycle(lc) {
    return [
      h('h4', {}, t('intel.lifecycle')),
      h('p', { class: 'lifecycle' },
        lc.stage ? h('span', { class: 'badge stage-badge', 'data-stage': lc.stage }, label('lifecycleStage', lc.stage)) : '—', ' ',
        lc.since ? h('span', { class: 'muted' }, t('intel.since', { date: day(lc.since) })) : null, ' ',
        lc.manual ? h('span', { class: 'badge' }, t('intel.manual')) : null,
        // A manual stage's reason is its note, in the history; `reason` is the rules' last word.
        lc.reason && !lc.manual ? h('span', { class: 'muted small lifecycle-reason' }, ` ${ruleReason(lc.reason)}`) : null),
      lc.lostReason ? h('p', { class: 'small' }, `${t('intel.lostReason')}: `, label('lostReason', lc.lostReason),
        lc.lostNote ? h('span', { class: 'muted' }, ` — ${ruleReason(lc.lostNote)}`) : null) : null,
    ];
  }

  /** Keeps what the user typed across a re-render (a language switch). */
  capture() {
    const form = this.box.querySelector('form.stage-form');
    if (!form) return;
    for (const name of Object.keys(FIELDS)) this.form[name] = form.elements[name].value;
  }

  moveForm(lc) {
    // Offered only where the account's `mayEdit` is true (set by the customer panel).
    const byField = new Map();
    const general = [];
    for (const e of this.errors) {
      const name = Object.keys(FIELDS).find((k) => FIELDS[k] === e.field);
      if (name) byField.set(name, [...(byField.get(name) || []), e]);
      else general.push(e);
    }
    const field = (name, text, control) => {
      const errors = byField.get(name) || [];
      control.id = `stage-${name}`;
      if (errors.length) control.setAttribute('aria-invalid', 'true');
      return h('div', { class: `field${errors.length ? ' invalid' : ''}`, 'data-field': FIELDS[name] },
        h('label', { for: control.id }, text), control,
        errors.map((e) => errorLine(e)));
    };
    const stage = h('select', { name: 'stage' }, STAGES.map((s) => h('option', { value: s }, label('lifecycleStage', s))));
    stage.value = this.form.stage || lc.stage || 'ACTIVE';
    const reason = h('select', { name: 'lostReason' }, h('option', { value: '' }, t('intel.none')),
      LOST_REASONS.map((r) => h('option', { value: r }, label('lostReason', r))));
    reason.value = this.form.lostReason;
    const note = h('input', { name: 'note', type: 'text', maxlength: '500', value: this.form.note });
    return h('details', { class: 'stage-move', open: this.errors.length > 0 || Boolean(this.notice) },
      h('summary', {}, t('intel.move')),
      h('form', { class: 'stage-form', novalidate: true, onsubmit: (evt) => { evt.preventDefault(); this.submit(); } },
        h('div', { class: 'fields' },
          field('stage', t('intel.stage'), stage),
          field('lostReason', t('intel.lostReasonField'), reason),
          h('div', { class: 'field wide' }, field('note', t('intel.note'), note))),
        general.length ? h('div', { class: 'form-errors', role: 'alert' },
          general.map((e) => errorLine(e))) : null,
        h('div', { class: 'form-actions' },
          h('button', { type: 'submit', class: 'action' }, t('intel.moveSave')),
          this.notice ? h('span', { class: 'notice-ok', role: 'status' }, this.notice) : null)));
  }

  async submit() {
    this.capture();
    if (this.writing) return;
    this.writing = true;
    const v = this.form;
    this.ctx.setPageState('loading');
    try {
      const payload = await setLifecycleStage({
        customer: this.id, stage: v.stage, note: v.note.trim(), lostReason: v.lostReason || null,
      });
      this.errors = payload.errors;
      this.notice = '';
      if (!payload.errors.length) {
        this.form = { stage: '', note: '', lostReason: '' };
        this.box.querySelector('form.stage-form')?.remove(); // not captured back by render()
        this.notice = t('intel.moved');
        await this.load();
      }
      this.render();
      this.onChange?.();
      this.ctx.setPageState('ready');
    } catch (err) {
      this.ctx.showError(err);
    } finally {
      this.writing = false;
    }
  }

  histories() {
    const moves = this.data.lifecycleHistory;
    const snaps = this.data.scoreHistory;
    const by = (m) => (m.by === 'system:scoring' ? t('intel.bySystem') : t('intel.byUser'));
    return h('div', { class: 'histories' },
      h('h4', {}, t('intel.lifecycleHistory')),
      moves.length ? h('ul', { class: 'plain compact lifecycle-history' }, moves.map((m) => h('li', { 'data-id': m.id, 'data-new': m.new || '' },
        h('span', { class: 'muted' }, day(m.at)), ' ',
        m.old ? label('lifecycleStage', m.old) : '—', ' → ', h('strong', {}, label('lifecycleStage', m.new)), ' ',
        h('span', { class: 'badge' }, m.rule ? label('lifecycleRule', m.rule) : by(m)),
        m.lostReason ? h('span', { class: 'badge warn' }, label('lostReason', m.lostReason)) : null,
        m.reason ? h('span', { class: 'muted small move-reason' }, ` ${m.rule === 'MANUAL' ? m.reason : ruleReason(m.reason)}`) : null)))
        : h('p', { class: 'muted small' }, t('intel.noHistory')),
      h('h4', {}, t('intel.scoreHistory')),
      snaps.length ? h('table', { class: 'compact score-history' },
        h('tbody', {}, snaps.map((s) => h('tr', { 'data-id': s.id },
          h('td', { class: 'muted' }, day(s.scoredAt)),
          h('td', {}, num(s.value)),
          h('td', {}, segmentBadge(s.segment)),
          h('td', {}, s.cell || ''),
          h('td', {}, s.churnLevel ? [levelBadge(s.churnLevel), s.churnRisk != null ? ` ${s.churnRisk}` : ''] : ''),
          h('td', {}, label('lifecycleStage', s.stage))))))
        : h('p', { class: 'muted small' }, t('intel.noHistory')));
  }
}

/** A recommendation's reason worded from its figures; the API's English sentence only when
 * the figures are missing. */
export function offerReason(x) {
  const num = (v, d = 1) => formatNumber(v, d);
  if (x.kind === 'REPURCHASE_DUE' && x.preference?.cycleDays != null) {
    const p = x.preference;
    const overdue = p.repurchase === 'OVERDUE';
    return t(`offer.REPURCHASE_DUE.${overdue ? 'overdue' : 'due'}`, {
      days: num(Math.abs(p.daysUntilExpected ?? 0)), cycle: num(p.cycleDays), orders: p.orders,
      last: String(p.lastOrderAt).slice(0, 10),
    });
  }
  if (x.kind === 'CO_PURCHASE' && x.rules?.length) {
    const r = x.rules[0];
    // The counts are of every customer: null unless the key reads them all.
    const key = r.support == null ? 'offer.CO_PURCHASE_SHARE' : 'offer.CO_PURCHASE';
    return t(key, {
      based: r.basedOn.name, buyers: r.buyersOfProduct, support: r.support,
      share: `${Math.round(r.confidence * 100)}%`,
      confidence: num(r.confidence, 2), lift: num(r.lift, 2),
    });
  }
  if (x.kind === 'RELATED_ACCOUNTS' && x.accountCount) {
    const vias = [...new Set((x.accounts || []).flatMap((a) => a.via))].sort();
    return t('offer.RELATED_ACCOUNTS', {
      n: x.accountCount, via: vias.map((v) => label('accountRelation', v)).join(getLang() === 'zh' ? '、' : ', '),
    });
  }
  return x.explanation;
}
