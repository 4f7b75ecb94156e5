// The pipeline page (销售漏斗), route #/pipeline: the funnel, the forecast by month now and a
// month ago, and the riskiest open deals, for a scope (mine, my team, all I may see); for
// ADMIN and MANAGER a hand-over form that previews (dry run) before it moves anything.
// A panel view: it fills the stage.
import { handOver, pipeline, planVsActual, whoAmI } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, getLang, label, t } from '../i18n.js';
import { amount } from './intelligence.js';
import { errorLine } from '../errors.js';

const PERIODS = [90, 180, 365];

const locale = () => (getLang() === 'zh' ? 'zh-CN' : 'en-GB');

export function pct(value) {
  return value == null ? '—' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(value);
}

export function num(value, digits = 1) {
  return value == null ? '—' : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

/** One reason as a chip, in the interface language. */
export function flagChip(f) {
  return h('span', { class: `badge flag flag-${f.flag}`, 'data-flag': f.flag, title: `+${f.weight}` },
    getLang() === 'zh' ? f.reasonZh : f.reason);
}

/** The people a deal's reasons name, once each. */
export function flagPeople(flags) {
  const seen = new Map();
  flags.forEach((f) => f.people.forEach((p) => { if (p?.id) seen.set(p.id, p); }));
  return [...seen.values()];
}

class PipelinePage {
  constructor(ctx) {
    this.ctx = ctx;
    this.me = null;
    this.teams = [];
    this.scope = 'all';
    this.days = 90;
    this.data = null;
    this.seq = 0;
    this.ho = { from: '', to: '', note: '', preview: null, done: null, errors: [] };
    this.root = h('div', { class: 'pipeline-page' });
  }

  get team() {
    return this.me ? this.teams.find((tm) => tm.code === this.me.team) || null : null;
  }

  get canHandOver() {
    return Boolean(this.me?.roles?.some((r) => r === 'ADMIN' || r === 'MANAGER'));
  }

  scopeInput() {
    if (this.scope === 'mine' && this.me) return { owner: this.me.id };
    if (this.scope === 'team' && this.team) return { team: this.team.id };
    return null;
  }

  since() {
    const d = new Date();
    d.setDate(d.getDate() - this.days);
    return isoDay(d);
  }

  async load() {
    const who = await whoAmI();
    this.me = who.user;
    this.teams = who.teams;
    if (this.me) this.scope = this.me.roles.includes('MANAGER') && this.team ? 'team' : 'mine';
    this.data = await pipeline({ scope: this.scopeInput(), since: this.since() });
    this.plans = await this.loadPlans();
  }

  /** This month's plan against actual: the team's members, or every team. */
  async loadPlans() {
    const period = isoDay(new Date()).slice(0, 7);
    return planVsActual({ period, team: this.scope === 'team' && this.team ? this.team.id : null });
  }

  async reload() {
    const seq = ++this.seq;
    this.ctx.setPageState('loading');
    try {
      const [data, plans] = await Promise.all([
        pipeline({ scope: this.scopeInput(), since: this.since() }),
        this.loadPlans(),
      ]);
      if (seq !== this.seq) return; // the scope changed meanwhile
      this.data = data;
      this.plans = plans;
      this.render();
      this.ctx.setPageState('ready');
    } catch (err) {
      this.ctx.showError(err);
    }
  }

  render() {
    this.root.replaceChildren(
      h('header', { class: 'panel-head' }, h('h2', {}, t('pl.heading'))),
      this.controls(),
      h('div', { class: 'panel-grid' },
        h('div', { class: 'panel-col' }, this.renderFunnel(), this.renderForecast(), this.renderPlans()),
        h('div', { class: 'panel-col' }, this.renderAtRisk(), this.canHandOver ? this.renderHandOver() : null)));
    return this.root;
  }

  controls() {
    const scopes = [['mine', Boolean(this.me)], ['team', Boolean(this.team)], ['all', true]];
    return h('div', { class: 'card pl-controls' },
      h('fieldset', { class: 'scope' }, h('legend', { class: 'muted small' }, t('pl.scope')),
        scopes.map(([s, ok]) => h('label', { class: 'chip' }, h('input', {
          type: 'radio', name: 'scope', value: s, checked: this.scope === s, disabled: !ok,
          onchange: () => { this.scope = s; this.reload(); },
        }), ' ', t(`pl.${s}`)))),
      h('label', {}, t('pl.period'), ' ', h('select', {
        id: 'pl-period',
        onchange: (evt) => { this.days = Number(evt.target.value); this.reload(); },
      }, PERIODS.map((n) => h('option', { value: n, selected: n === this.days }, t('pl.days', { n }))))),
      this.me ? null : h('p', { class: 'muted small no-user' }, t('pl.noUser')));
  }

  renderFunnel() {
    const f = this.data.funnel;
    const cols = ['step', 'reached', 'amount', 'now', 'conversion', 'median'];
    const top = Math.max(1, ...f.steps.map((s) => s.reached));
    return h('section', { class: 'card funnel', id: 'pl-funnel', 'data-since': f.since, 'data-until': f.until },
      h('h3', {}, t('pl.funnel')),
      h('p', { class: 'muted small' }, t('pl.funnelHint', { since: f.since, until: f.until, currency: f.currency, n: f.cohort })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'funnel-table' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, t(`pl.${c}`))))),
        h('tbody', {}, f.steps.map((s) => h('tr', { class: 'step', 'data-stage': s.stage, 'data-reached': s.reached },
          h('td', {}, label('projectStage', s.stage),
            h('div', { class: 'bar' }, h('span', { style: `width:${Math.round((100 * s.reached) / top)}%` }))),
          h('td', { class: 'num' }, String(s.reached)),
          h('td', { class: 'num' }, amount(s.reachedAmount, f.currency)),
          h('td', { class: 'num' }, String(s.current)),
          h('td', { class: 'num', 'data-conversion': s.conversion ?? '' }, pct(s.conversion)),
          h('td', { class: 'num' }, num(s.medianDays))))))),
      h('p', { class: 'outcome' },
        h('span', { 'data-won': f.won }, `${t('pl.won')} ${f.won} (${amount(f.wonAmount, f.currency)})`), ' · ',
        h('span', { 'data-lost': f.lost }, `${t('pl.lost')} ${f.lost} (${amount(f.lostAmount, f.currency)})`), ' · ',
        h('span', { 'data-win-rate': f.winRate ?? '' }, `${t('pl.winRate')} ${pct(f.winRate)}`)),
      f.lossReasons.length ? h('p', { class: 'losses small' }, `${t('pl.lossReasons')}: `,
        f.lossReasons.map((x, i) => h('span', { 'data-loss-reason': x.reason ?? '', 'data-count': x.count },
          i ? '、' : '', `${x.reason ? label('dealLossReason', x.reason) : t('pl.noReason')} ${x.count}`,
          ` (${amount(x.amount, f.currency)})`))) : null,
      f.otherCurrency ? h('p', { class: 'muted small' }, t('pl.other', { n: f.otherCurrency })) : null,
      f.truncated ? h('p', { class: 'muted small' }, t('pl.truncated')) : null);
  }

  renderForecast() {
    const fc = this.data.forecast;
    const money = (v) => amount(v, fc.currency);
    const change = (now, then) => {
      const d = now - then;
      return h('td', { class: `num change ${d > 0 ? 'up' : d < 0 ? 'down' : ''}`, 'data-change': d },
        `${d > 0 ? '+' : ''}${money(d)}`);
    };
    const row = (head, now, then, attrs) => h('tr', attrs, h('th', {}, head),
      h('td', { class: 'num', 'data-weighted': now.weighted }, money(now.weighted)),
      h('td', { class: 'num' }, money(then.weighted)), change(now.weighted, then.weighted),
      h('td', { class: 'num' }, money(now.won)), h('td', { class: 'num' }, String(now.open)));
    const cols = ['month', 'weighted', 'then', 'change', 'won', 'open'];
    return h('section', { class: 'card forecast', id: 'pl-forecast' },
      h('h3', {}, t('pl.forecast')),
      h('p', { class: 'muted small' }, t('pl.forecastHint', { then: fc.compareTo })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'forecast-table' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, t(`pl.${c}`))))),
        h('tbody', {}, fc.months.map((m) => row(m.month.slice(0, 7), m.now, m.then, { class: 'month', 'data-month': m.month }))),
        h('tfoot', {}, row(t('pl.total'), fc.total, fc.totalThen, { class: 'total' })))),
      fc.truncated ? h('p', { class: 'muted small' }, t('pl.truncated')) : null);
  }

  renderPlans() {
    const pv = this.plans;
    const cols = ['planWho', 'plan', 'actual', 'percent', 'gap', 'forecastEnd'];
    const money = (v, c) => (v === null || v === undefined ? '—' : amount(Number(v), c));
    return h('section', { class: 'card plans', id: 'pl-plans', 'data-period': pv.period },
      h('h3', {}, t('pl.plans', { period: pv.period })),
      h('p', { class: 'muted small' }, t('pl.plansHint', { share: pct(pv.elapsedShare) })),
      pv.rows.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'plan-table' },
          h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, t(`pl.${c}`))))),
          h('tbody', {}, pv.rows.map((r) => h('tr', { class: 'plan-row', 'data-target': r.targetId, 'data-percentage': r.percentage ?? '' },
            h('th', {}, displayName(r.user || r.team || { name: r.targetId }),
              r.planSource === 'ROLLUP' ? h('span', { class: 'muted small' }, ` (${t('pl.rollup')})`) : null),
            h('td', { class: 'num' }, money(r.plan, r.currency)),
            h('td', { class: 'num' }, money(r.actual, r.currency)),
            h('td', { class: 'num' }, r.percentage === null ? '—' : `${num(r.percentage)}%`),
            h('td', { class: 'num' }, money(r.gap, r.currency)),
            h('td', { class: 'num' }, money(r.forecast, r.currency)))))))
        : h('p', { class: 'muted' }, t('pl.noPlans')));
  }

  renderAtRisk() {
    const r = this.data.atRiskOpportunities;
    return h('section', { class: 'card at-risk', id: 'pl-at-risk' },
      h('h3', {}, t('pl.atRisk')),
      h('p', { class: 'muted small' }, t('pl.atRiskHint', { n: r.totalCount })),
      r.items.length
        ? h('ol', { class: 'deals' }, r.items.map((it) => dealItem(it, { showCustomer: true })))
        : h('p', { class: 'muted' }, t('pl.none')));
  }

  // ---------- hand-over ----------

  /** The codes of the teams a manager hands over within: theirs and those below; null for ADMIN. */
  managedTeams() {
    if (!this.me || this.me.roles.includes('ADMIN')) return null;
    const codes = new Set([this.me.team]);
    for (let grew = true; grew;) {
      grew = false;
      this.teams.forEach((tm) => {
        if (tm.parent && codes.has(tm.parent.code) && !codes.has(tm.code)) { codes.add(tm.code); grew = true; }
      });
    }
    return codes;
  }

  renderHandOver() {
    // Only choices the API can accept: users of the teams the manager manages who edit
    // (ANALYST and AUDITOR keys only read: they own nothing and can take nothing over).
    const managed = this.managedTeams();
    const users = new Map();
    this.teams.filter((tm) => !managed || managed.has(tm.code))
      .forEach((tm) => tm.members.forEach((u) => users.set(u.id, { ...u, team: tm.code })));
    const edits = (u) => (u.roles || []).some((r) => r !== 'ANALYST' && r !== 'AUDITOR');
    const named = new Map();
    users.forEach((u) => named.set(u.name, (named.get(u.name) || 0) + 1));
    // Two people of one name are told apart by their team and the start of their id.
    const label = (u) => (named.get(u.name) > 1 ? `${u.name} · ${u.team} · ${u.id.slice(0, 8)}` : u.name);
    const pick = (id, key) => h('select', {
      id, name: key, onchange: (evt) => { this.ho[key] = evt.target.value; this.ho.preview = null; this.renderHoResult(); },
    }, h('option', { value: '' }, t('ho.pick')),
    [...users.values()].filter(edits)
      .map((u) => h('option', { value: u.id, selected: this.ho[key] === u.id }, label(u))));
    this.hoResult = h('div', { class: 'ho-result', 'aria-live': 'polite' });
    this.renderHoResult();
    return h('section', { class: 'card hand-over', id: 'pl-hand-over' },
      h('h3', {}, t('ho.heading')),
      h('p', { class: 'muted small' }, t('ho.hint')),
      h('form', { class: 'ho-form', onsubmit: (evt) => { evt.preventDefault(); this.runHandOver(true); } },
        h('label', {}, t('ho.from'), ' ', pick('ho-from', 'from')),
        h('label', {}, t('ho.to'), ' ', pick('ho-to', 'to')),
        h('label', {}, t('ho.note'), ' ', h('input', {
          id: 'ho-note', type: 'text', maxlength: 2000, value: this.ho.note,
          oninput: (evt) => { this.ho.note = evt.target.value; },
        })),
        h('button', { type: 'submit', class: 'action' }, t('ho.preview'))),
      this.hoResult);
  }

  renderHoResult() {
    const { preview, done, errors } = this.ho;
    const counts = (m) => ({ a: m.accounts.length, p: m.projects.length, f: m.followUps.length });
    const names = (moves, names) => moves.map((m) => names[m.id]).filter(Boolean).map((n) => h('li', {}, displayName(n)));
    const out = [];
    errors.forEach((e) => out.push(errorLine(e)));
    if (done) out.push(h('p', { class: 'ho-done' }, t('ho.done', counts(done))));
    if (preview) {
      const moved = preview.handOver;
      const c = counts(moved);
      // Closed deals the rep leaves and shares that end are changes too: not "nothing".
      const also = { c: moved.closedProjects.length, s: moved.sharesEnded };
      const empty = !c.a && !c.p && !c.f && !also.c && !also.s;
      out.push(h('div', { class: 'ho-preview' },
        h('p', {}, empty ? t('ho.nothing') : t('ho.would', c)),
        also.c || also.s ? h('p', { class: 'ho-also small' }, t('ho.also', also)) : null,
        moved.leftBehind.length + moved.leftBehindHidden ? h('p', { class: 'ho-left small muted' }, t('ho.left', { l: moved.leftBehind.length + moved.leftBehindHidden })) : null,
        h('ul', { class: 'plain compact' }, names([...moved.accounts, ...moved.projects], preview.names)),
        empty ? null : h('button', { type: 'button', class: 'action ho-confirm', onclick: () => this.runHandOver(false) }, t('ho.confirm'))));
    }
    this.hoResult?.replaceChildren(...out);
  }

  async runHandOver(dryRun) {
    const { from, to, note } = this.ho;
    this.ctx.setPageState('loading');
    try {
      const result = await handOver({ from, to, note: note || null, dryRun });
      this.ho.errors = result.errors;
      this.ho.done = !dryRun && !result.errors.length ? result.handOver : null;
      this.ho.preview = dryRun && !result.errors.length ? result : null;
      this.renderHoResult();
      if (this.ho.done) await this.reload();
      this.ctx.setPageState('ready');
    } catch (err) {
      this.ctx.showError(err);
    }
  }
}

/** One open deal: name (to its decision tree), amount, score, reason chips and the people named. */
export function dealItem(it, { showCustomer = false } = {}) {
  const p = it.project;
  const people = flagPeople(it.flags);
  return h('li', { class: 'deal', 'data-id': p.id, 'data-score': it.score },
    h('div', { class: 'deal-head' },
      h('a', { href: route('decision', p.id), class: 'deal-link', title: t('pl.tree') }, p.name), ' ',
      p.stage ? h('span', { class: 'badge' }, label('projectStage', p.stage)) : null,
      p.status && p.status !== 'OPEN' ? h('span', { class: 'badge' }, label('projectStatus', p.status)) : null,
      h('span', { class: 'muted' }, amount(p.amount, p.currency || 'CNY')),
      it.score ? h('span', { class: 'badge score', 'data-score': it.score }, `${t('pl.score')} ${it.score}`) : null),
    showCustomer && p.customer
      ? h('div', { class: 'small' }, displayName(p.customer), ' · ',
        h('a', { href: route('brief', p.customer.id), class: 'brief-link' }, t('pl.brief')))
      : null,
    it.flags.length ? h('div', { class: 'reasons' }, it.flags.map(flagChip)) : null,
    people.length ? h('div', { class: 'small people' }, `${t('pl.people')}${getLang() === 'zh' ? '：' : ': '}`,
      people.map((pp) => h('span', { class: 'person', 'data-id': pp.id }, displayName(pp))).flatMap((el, i) => (i ? [getLang() === 'zh' ? '、' : ', ', el] : [el])))
      : null);
}

export default {
  id: 'pipeline',
  subject: null, // about no one node: no id
  panel: true,
  async load(_args, ctx) {
    const page = new PipelinePage(ctx);
    await page.load();
    return { map: { nodes: [], edges: [] }, known: [], panel: () => page.render(), pipeline: page };
  },
};
