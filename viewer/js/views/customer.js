// Customer profile (客户档案): the computed figures, the timeline with filters, open follow-ups
// and a form to log an interaction. Not a graph: it fills the stage instead of the canvas.
import { closeFollowUp, customerFigures, openFollowUps, saveInteraction, timeline } from '../api.js';
import { h, route } from '../dom.js';
import { displayName, formatWhen, getLang, label, t } from '../i18n.js';
import { IntelligenceCard } from './intelligence.js';
import { errorLine } from '../errors.js';

const KINDS = ['INTERACTION', 'ORDER', 'PAYMENT', 'DELIVERY', 'SERVICE_CASE', 'SURVEY', 'CONTRACT',
  'VISIT_PLAN', 'MARKETING'];
const CHANNELS = ['VISIT', 'CALL', 'MEETING', 'WECHAT', 'EMAIL', 'SMS', 'OTHER_MESSAGE'];
const PAGE = 20;

// The form's controls by the input path the server names in `errors[].field`.
const FIELDS = {
  channel: 'input.interaction.channel',
  direction: 'input.interaction.direction',
  occurredAt: 'input.occurredAt',
  duration: 'input.interaction.durationMinutes',
  subject: 'input.subject',
  notes: 'input.notes',
  agreement: 'input.interaction.agreement',
  nextAction: 'input.interaction.nextStep.action',
  nextDue: 'input.interaction.nextStep.dueAt',
};

// ---------- formatting ----------

function locale() {
  return getLang() === 'zh' ? 'zh-CN' : 'en-GB';
}

function when(iso) {
  return iso ? formatWhen(iso, { time: true }) : t('cust.never');
}

/** A Decimal string with thousands separators, its digits untouched (no float rounding). */
function money(amount, currency) {
  if (amount == null) return '—';
  const [whole, frac] = String(amount).split('.');
  const negative = whole.startsWith('-');
  let grouped;
  try {
    grouped = BigInt(negative ? whole.slice(1) : whole).toLocaleString(locale());
  } catch {
    grouped = whole;
  }
  return `${currency ? `${currency} ` : ''}${negative ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

function number(value, digits = 1) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

const pad = (n) => String(n).padStart(2, '0');

/** A local wall-clock time (datetime-local value or Date) as ISO 8601 with this browser's offset. */
function withOffset(value) {
  const d = value instanceof Date ? value : new Date(value);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:`
    + `${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** The start of a yyyy-mm-dd day (plus some days) in local time, with offset. */
function dayStart(date, plusDays = 0) {
  const [y, m, d] = date.split('-').map(Number);
  return withOffset(new Date(y, m - 1, d + plusDays));
}

function localInputValue(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function partyName(party) {
  return party ? displayName(party) : '';
}

/** replaceChildren with h()'s rules: arrays flattened, null and false left out. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
}

// ---------- the panel ----------

class CustomerPanel {
  constructor(id, ctx) {
    this.id = id;
    this.ctx = ctx;
    this.node = null;
    this.filters = { kinds: new Set(), subsidiaries: false, since: '', until: '' };
    this.records = [];
    this.pageInfo = { hasNextPage: false, endCursor: null };
    this.timelineSeq = 0;
    this.moreFor = null;        // the timelineSeq whose next page is being fetched
    this.mayEdit = false;       // the account's `mayEdit`, set by load()
    this.followUps = { totalCount: 0, nodes: [] };
    this.closing = null;        // id of the follow-up whose close form is open
    this.closeErrors = [];
    this.form = { channel: 'VISIT', direction: 'OUTBOUND', occurredAt: localInputValue(new Date()) };
    this.formErrors = [];
    this.formNotice = '';
    this.root = h('div', { class: 'customer-panel' });
    this.intel = new IntelligenceCard(id, ctx);
    this.intel.onChange = () => this.stageMoved();
  }

  get isCompany() {
    return this.node?.__typename === 'Company';
  }

  get isCustomer() {
    return Boolean(this.node?.customer);
  }

  async load() {
    await this.refresh();
    if (!this.node) throw Object.assign(new Error(this.id), { code: 'NOT_FOUND' });
    // This account's own answer: false for keys that edit nothing, and on an account only
    // read through a share, so no form is offered that the server would refuse.
    this.mayEdit = this.node.mayEdit === true;
    this.intel.mayEdit = this.mayEdit;
  }

  /** Everything a write can change, (re)loaded: figures, follow-ups, the timeline's first page. */
  async refresh() {
    const seq = ++this.timelineSeq;
    const [node, page, followUps] = await Promise.all([
      customerFigures(this.id),
      timeline(this.timelineQuery()),
      openFollowUps({ customer: this.id }),
      this.intel.load(),
    ]);
    if (node) this.node = node;
    this.followUps = followUps;
    if (seq === this.timelineSeq) {
      this.records = page.nodes;
      this.pageInfo = page.pageInfo;
    }
  }

  timelineQuery(after = null) {
    const f = this.filters;
    return {
      party: this.id,
      first: PAGE,
      after,
      includeSubsidiaries: f.subsidiaries,
      kinds: [...f.kinds],
      since: f.since ? dayStart(f.since) : null,
      until: f.until ? dayStart(f.until, 1) : null, // the "to" day is included
    };
  }

  /** Runs a request with the page marked busy; API errors go to the page's error banner. */
  async busy(work) {
    this.ctx.setPageState('loading');
    try {
      await work();
      this.ctx.setPageState('ready');
    } catch (err) {
      this.ctx.showError(err);
    }
  }

  /** Like busy(), for writes: one at a time, so a double click cannot save twice. */
  async write(work) {
    if (this.writing) return;
    this.writing = true;
    this.root.classList.add('writing');
    try {
      await this.busy(work);
    } finally {
      this.writing = false;
      this.root.classList.remove('writing');
    }
  }

  async reloadTimeline() {
    const seq = ++this.timelineSeq;
    await this.busy(async () => {
      const page = await timeline(this.timelineQuery());
      if (seq !== this.timelineSeq) return;
      this.records = page.nodes;
      this.pageInfo = page.pageInfo;
      this.renderTimeline();
    });
  }

  /** The next page, one request at a time: a second click while it loads does nothing, and a
   * page is appended only while its cursor is still the list's end. */
  async loadMore(button = null) {
    const seq = this.timelineSeq;
    const after = this.pageInfo.endCursor;
    if (!this.pageInfo.hasNextPage || this.moreFor === seq) return;
    this.moreFor = seq;
    if (button) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.textContent = t('loading');
    }
    await this.busy(async () => {
      try {
        const page = await timeline(this.timelineQuery(after));
        // The filters changed meanwhile, or this cursor's page is already in.
        if (seq !== this.timelineSeq || this.pageInfo.endCursor !== after) return;
        this.records = [...this.records, ...page.nodes];
        this.pageInfo = page.pageInfo;
      } finally {
        if (this.moreFor === seq) this.moreFor = null;
        if (seq === this.timelineSeq) this.renderTimeline();
      }
    });
  }

  // ---------- rendering ----------

  /** The whole panel, in the current language; typed-in form values survive a re-render. */
  render() {
    this.captureForm();
    this.sections = {
      figures: h('section', { class: 'card figures', id: 'cust-figures' }),
      followUps: h('section', { class: 'card follow-ups', id: 'cust-follow-ups' }),
      form: h('section', { class: 'card log-form', id: 'cust-log' }),
      timeline: h('section', { class: 'card timeline', id: 'cust-timeline' }),
    };
    const c = this.node.customer;
    fill(this.root, 
      h('header', { class: 'panel-head' },
        h('h2', {}, displayName(this.node)),
        c?.customerCode ? h('span', { class: 'badge' }, c.customerCode) : null,
        c?.tier ? h('span', { class: 'badge' }, label('tier', c.tier)) : null,
        c?.lifecycleStage ? h('span', { class: 'badge', 'data-head': 'stage' }, label('lifecycleStage', c.lifecycleStage)) : null,
        this.isCustomer ? h('a', { href: route('brief', this.node.id), class: 'brief-link', id: 'cust-brief' }, t('brief.link')) : null),
      h('div', { class: 'panel-grid' },
        h('div', { class: 'panel-col' }, this.isCustomer ? this.intel.render() : null,
          this.sections.figures, this.sections.followUps, this.sections.form),
        h('div', { class: 'panel-col' }, this.sections.timeline)));
    this.renderFigures();
    this.renderFollowUps();
    this.renderForm();
    this.renderTimeline();
    return this.root;
  }

  /** A manual lifecycle move: the heading's stage badge follows. */
  stageMoved() {
    const stage = this.intel.data?.intelligence?.lifecycle?.stage;
    const badge = this.root.querySelector('[data-head=stage]');
    if (stage && this.node.customer) this.node.customer.lifecycleStage = stage;
    if (stage && badge) badge.textContent = label('lifecycleStage', stage);
  }

  renderAll() {
    if (this.isCustomer) this.intel.render();
    this.renderFigures();
    this.renderFollowUps();
    this.renderTimeline();
  }

  renderFigures() {
    const f = this.node.figures;
    const box = this.sections.figures;
    if (!f) {
      fill(box, h('h3', {}, t('cust.figures')), h('p', { class: 'muted not-customer' }, t('cust.notCustomer')));
      return;
    }
    const facts = [
      ['lastInteraction', f.lastInteractionAt
        ? [when(f.lastInteractionAt), ' ', f.lastInteractionChannel ? h('span', { class: 'badge' }, label('channel', f.lastInteractionChannel)) : null]
        : t('cust.never')],
      ['nextVisit', when(f.nextVisitAt)],
      ['openFollowUps', [h('span', { 'data-figure': 'openFollowUps' }, String(f.openFollowUps)),
        f.overdueFollowUps ? h('span', { class: 'badge warn' }, `${t('cust.overdueFollowUps')} ${f.overdueFollowUps}`) : null]],
      ['openComplaints', h('span', { 'data-figure': 'openComplaints', class: f.openComplaints ? 'warn-text' : null }, String(f.openComplaints))],
      ['satisfaction', f.meanSatisfaction == null ? t('cust.never')
        : t('cust.satisfactionValue', { score: number(f.meanSatisfaction), n: f.surveys })],
    ];
    fill(box, 
      h('h3', {}, t('cust.figures')),
      h('p', { class: 'muted small' }, t('cust.figuresHint')),
      h('dl', { class: 'facts' }, facts.map(([key, value]) => [h('dt', {}, t(`cust.${key}`)), h('dd', {}, value)])),
      f.purchases.length ? f.purchases.map((p) => this.purchases(p)) : h('p', { class: 'muted' }, t('cust.noPurchases')));
  }

  purchases(p) {
    const windowName = (w) => (w.days == null ? t('cust.allTime') : t('cust.days', { n: w.days }));
    return h('div', { class: 'purchases', 'data-currency': p.currency },
      h('h4', {}, t('cust.purchases', { currency: p.currency })),
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['window', 'orders', 'amount', 'quantity', 'avgPrice'].map((k) => h('th', {}, t(`cust.${k}`))))),
        h('tbody', {}, p.windows.map((w) => h('tr', {},
          h('th', {}, windowName(w)), h('td', {}, String(w.orders)), h('td', {}, money(w.amount)),
          h('td', {}, number(w.quantity, 2)), h('td', {}, money(w.averagePrice))))))),
      h('dl', { class: 'facts' },
        h('dt', {}, t('cust.receivable')), h('dd', {}, money(p.receivable, p.currency)),
        h('dt', {}, t('cust.overdue')),
        h('dd', { class: Number(p.overdue) > 0 ? 'warn-text' : null }, money(p.overdue, p.currency)),
        h('dt', {}, t('cust.firstOrder')), h('dd', {}, when(p.firstOrderAt)),
        h('dt', {}, t('cust.lastOrder')), h('dd', {}, when(p.lastOrderAt)),
        p.meanDaysBetweenOrders == null ? null : [h('dt', {}, t('cust.rhythm')),
          h('dd', {}, t('cust.rhythmDays', { n: number(p.meanDaysBetweenOrders) }))]));
  }

  renderFollowUps() {
    const box = this.sections.followUps;
    const now = Date.now();
    const items = this.followUps.nodes.map((fu) => {
      const overdue = new Date(fu.dueAt).getTime() < now;
      return h('li', { class: 'follow-up', 'data-id': fu.id },
        h('div', {}, h('strong', {}, fu.action || '—'), ' ',
          overdue ? h('span', { class: 'badge warn' }, t('cust.overdueBadge')) : null),
        h('div', { class: 'muted small' }, t('cust.due', { at: when(fu.dueAt) }),
          fu.assignee ? ` · ${fu.assignee.name}` : '',
          fu.record?.subject ? ` · ${t('cust.from', { subject: fu.record.subject })}` : ''),
        !this.mayEdit ? null : this.closing === fu.id ? this.closeForm(fu) : h('button', {
          type: 'button', class: 'ghost small close-follow-up',
          onclick: () => { this.closing = fu.id; this.closeErrors = []; this.renderFollowUps(); },
        }, t('cust.close')));
    });
    fill(box, 
      h('h3', {}, t('cust.followUps'), ' ', h('span', { class: 'badge', 'data-count': 'followUps' }, String(this.followUps.totalCount))),
      items.length ? h('ul', { class: 'plain' }, items) : h('p', { class: 'muted' }, t('cust.noFollowUps')));
  }

  closeForm(fu) {
    const status = h('select', { name: 'status' },
      ['DONE', 'CANCELLED'].map((s) => h('option', { value: s }, label('followUpStatus', s))));
    const outcome = h('input', { name: 'outcome', type: 'text', maxlength: '500', placeholder: t('cust.outcome') });
    return h('form', {
      class: 'close-form',
      onsubmit: (evt) => {
        evt.preventDefault();
        this.write(async () => {
          const payload = await closeFollowUp({
            id: fu.id, status: status.value, outcome: outcome.value.trim() || null, expectedVersion: fu.version,
          });
          if (payload.errors.length) {
            this.closeErrors = payload.errors;
            this.renderFollowUps();
            return;
          }
          this.closing = null;
          await this.refresh();
          this.renderAll();
        });
      },
    },
    h('label', {}, h('span', { class: 'muted' }, t('cust.closeAs')), ' ', status),
    outcome,
    h('button', { type: 'submit', class: 'action' }, t('cust.confirm')),
    h('button', { type: 'button', class: 'ghost', onclick: () => { this.closing = null; this.renderFollowUps(); } }, t('cust.back')),
    this.closeErrors.map((e) => errorLine(e)));
  }

  // ---------- the log-an-interaction form ----------

  /** Keeps what the user typed, so a re-render (language switch) does not lose it. */
  captureForm() {
    const form = this.root.querySelector('form.log');
    if (!form) return;
    for (const name of Object.keys(FIELDS)) {
      if (form.elements[name]) this.form[name] = form.elements[name].value;
    }
  }

  renderForm() {
    const box = this.sections.form;
    if (!this.isCustomer || !this.mayEdit) {
      fill(box, );
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const v = this.form;
    const byField = new Map();
    const general = [];
    for (const e of this.formErrors) {
      const name = Object.keys(FIELDS).find((k) => FIELDS[k] === e.field);
      if (name) byField.set(name, [...(byField.get(name) || []), e]);
      else general.push(e);
    }
    const field = (name, text, control, wide = false) => {
      const errors = byField.get(name) || [];
      if (errors.length) control.setAttribute('aria-invalid', 'true');
      control.id = `log-${name}`;
      return h('div', { class: `field${wide ? ' wide' : ''}${errors.length ? ' invalid' : ''}`, 'data-field': FIELDS[name] },
        h('label', { for: control.id }, text),
        control,
        errors.map((e) => errorLine(e)));
    };
    const input = (name, attrs = {}) => h('input', { name, value: v[name] ?? '', ...attrs });
    const select = (name, values, group) => {
      const el = h('select', { name }, values.map((x) => h('option', { value: x }, label(group, x))));
      el.value = v[name] ?? values[0];
      return el;
    };
    fill(box, 
      h('h3', {}, t('cust.log')),
      h('form', { class: 'log', novalidate: true, onsubmit: (evt) => { evt.preventDefault(); this.submit(); } },
        h('div', { class: 'fields' },
          field('channel', t('cust.channel'), select('channel', CHANNELS, 'channel')),
          field('direction', t('cust.direction'), select('direction', ['OUTBOUND', 'INBOUND'], 'direction')),
          field('occurredAt', t('cust.occurredAt'), input('occurredAt', { type: 'datetime-local' })),
          field('duration', t('cust.duration'), input('duration', { type: 'number', min: '0', max: '1440', step: '1' })),
          field('subject', t('cust.subject'), input('subject', { type: 'text', maxlength: '200' }), true),
          field('agreement', t('cust.agreement'), h('textarea', { name: 'agreement', rows: '2' }, v.agreement ?? ''), true),
          field('notes', t('cust.notes'), h('textarea', { name: 'notes', rows: '2' }, v.notes ?? ''), true),
          field('nextAction', t('cust.nextStep'), input('nextAction', { type: 'text', maxlength: '500' })),
          field('nextDue', t('cust.nextDue'), input('nextDue', { type: 'datetime-local' }))),
        general.length ? h('div', { class: 'form-errors', role: 'alert' }, h('strong', {}, t('cust.formErrors')),
          general.map((e) => errorLine(e))) : null,
        h('div', { class: 'form-actions' },
          h('button', { type: 'submit', class: 'action' }, t('cust.save')),
          this.formNotice ? h('span', { class: 'notice-ok', role: 'status' }, this.formNotice) : null)));
  }

  /** Required fields the API cannot even parse without; everything else the server checks. */
  localErrors(v) {
    const errors = [];
    if (!v.occurredAt) errors.push({ field: FIELDS.occurredAt, message: t('cust.required') });
    if (v.nextAction.trim() && !v.nextDue) errors.push({ field: FIELDS.nextDue, message: t('cust.required') });
    return errors;
  }

  async submit() {
    this.captureForm();
    const v = { ...this.form, nextAction: this.form.nextAction || '' };
    this.formNotice = '';
    this.formErrors = this.localErrors(v);
    if (this.formErrors.length) {
      this.renderForm();
      this.ctx.setPageState('ready'); // nothing was sent
      return;
    }
    const text = (s) => (s && s.trim() ? s.trim() : null);
    const interaction = {
      channel: v.channel,
      direction: v.direction,
      durationMinutes: v.duration === '' || v.duration == null ? null : Number(v.duration),
      agreement: text(v.agreement),
      nextStep: v.nextDue ? { action: text(v.nextAction), dueAt: withOffset(v.nextDue) } : null,
    };
    const input = {
      customer: this.id,
      occurredAt: withOffset(v.occurredAt),
      subject: text(v.subject),
      notes: text(v.notes),
      interaction,
    };
    await this.write(async () => {
      const payload = await saveInteraction(input);
      if (payload.errors.length) {
        this.formErrors = payload.errors;
        this.renderForm();
        return;
      }
      this.formErrors = [];
      this.form = { channel: v.channel, direction: v.direction, occurredAt: localInputValue(new Date()) };
      this.formNotice = t('cust.saved');
      this.renderForm();
      await this.refresh();
      this.renderAll();
    });
  }

  // ---------- the timeline ----------

  renderTimeline() {
    const box = this.sections.timeline;
    const f = this.filters;
    const kindBoxes = KINDS.map((k) => h('label', { class: 'chip' },
      h('input', {
        type: 'checkbox', name: 'kind', value: k, checked: f.kinds.has(k),
        onchange: (evt) => {
          if (evt.target.checked) f.kinds.add(k);
          else f.kinds.delete(k);
          this.reloadTimeline();
        },
      }), label('recordKind', k)));
    // A "from" after the "to" is said at the dates, and lists nothing, rather than sent.
    const backwards = Boolean(f.since && f.until && f.since > f.until);
    const date = (key) => h('input', {
      type: 'date', name: key, value: f[key], 'aria-invalid': backwards ? 'true' : 'false',
      onchange: (evt) => {
        f[key] = evt.target.value;
        if (f.since && f.until && f.since > f.until) {
          this.records = [];
          this.pageInfo = { hasNextPage: false, endCursor: null };
          this.renderTimeline();
        } else {
          this.reloadTimeline();
        }
      },
    });
    fill(box, 
      h('h3', {}, t('cust.timeline')),
      h('div', { class: 'timeline-filters' },
        h('fieldset', { class: 'kinds' }, h('legend', { class: 'muted small' }, t('cust.kinds')), kindBoxes),
        h('div', { class: 'filter-row' },
          this.isCompany ? h('label', {}, h('input', {
            type: 'checkbox', name: 'subsidiaries', checked: f.subsidiaries,
            onchange: (evt) => { f.subsidiaries = evt.target.checked; this.reloadTimeline(); },
          }), ' ', t('cust.subsidiaries')) : null,
          h('label', {}, t('cust.since'), ' ', date('since')),
          h('label', {}, t('cust.until'), ' ', date('until')),
          backwards ? h('p', { class: 'field-error', role: 'alert' }, t('cust.backwards')) : null)),
      this.records.length
        ? h('ol', { class: 'records' }, this.records.map((r) => this.recordItem(r)))
        : h('p', { class: 'muted' }, t('cust.noRecords')),
      this.pageInfo.hasNextPage
        ? h('button', {
          type: 'button', class: 'ghost more', disabled: this.moreFor === this.timelineSeq,
          onclick: (evt) => this.loadMore(evt.currentTarget),
        }, t('cust.more'))
        : (this.records.length ? h('p', { class: 'muted small end' }, t('cust.end')) : null));
  }

  recordItem(r) {
    const other = r.customer && r.customer.id !== this.id ? r.customer : null;
    const sep = getLang() === 'zh' ? '、' : ', ';
    const people = [
      r.staff.length ? t('cust.by', { names: r.staff.map((s) => s.name).join(sep) }) : null,
      r.contacts.length ? t('cust.with', { names: r.contacts.map(displayName).join(sep) }) : null,
    ].filter(Boolean).join(' · ');
    return h('li', { class: `record kind-${r.kind}`, 'data-id': r.id, 'data-kind': r.kind },
      h('div', { class: 'record-head' },
        h('time', { datetime: r.occurredAt }, when(r.occurredAt)), ' ',
        h('span', { class: 'badge kind' }, label('recordKind', r.kind)), ' ',
        r.subject ? h('strong', { class: 'record-subject' }, r.subject) : null),
      other ? h('div', { class: 'muted small' }, partyName(other)) : null,
      this.summary(r),
      r.notes ? h('p', { class: 'notes' }, r.notes) : null,
      people ? h('div', { class: 'muted small' }, people) : null);
  }

  summary(r) {
    const parts = [];
    const line = (...xs) => parts.push(h('div', { class: 'record-body' }, ...xs));
    const badge = (group, v) => (v ? h('span', { class: 'badge' }, label(group, v)) : null);
    switch (r.kind) {
      case 'INTERACTION':
        line(badge('channel', r.channel), badge('direction', r.direction),
          r.durationMinutes != null ? t('cust.minutes', { n: r.durationMinutes }) : null);
        if (r.agreement) line(t('cust.agreementLabel'), r.agreement);
        for (const fu of r.followUps || []) {
          line(t('cust.nextLabel'), fu.action || '—', ' ', h('span', { class: 'muted' }, t('cust.due', { at: when(fu.dueAt) })),
            ' ', badge('followUpStatus', fu.status));
        }
        break;
      case 'ORDER':
        line(r.orderNo ? `${r.orderNo} · ` : '', money(r.amount, r.currency), ` · ${t('cust.quantity')} ${number(r.quantity, 2)}`);
        break;
      case 'PAYMENT':
        line(money(r.amount, r.currency), r.method ? ` · ${r.method}` : '',
          r.order?.orderNo ? ` · ${t('cust.order', { no: r.order.orderNo })}` : '');
        break;
      case 'DELIVERY':
        line(r.trackingNo || '', r.trackingNo ? ' · ' : '', t(r.complete ? 'cust.complete' : 'cust.partial'),
          r.order?.orderNo ? ` · ${t('cust.order', { no: r.order.orderNo })}` : '');
        break;
      case 'SERVICE_CASE':
        line(badge('serviceCategory', r.category), badge('severity', r.severity), badge('serviceStatus', r.caseStatus));
        if (r.resolution) line(r.resolution);
        break;
      case 'SURVEY':
        line(t('cust.score', { n: r.score }));
        break;
      case 'CONTRACT':
        line(r.contractNo ? `${r.contractNo} · ` : '', r.title, r.amount != null ? ` · ${money(r.amount, r.contractCurrency)}` : '', ' ',
          badge('contractStatus', r.contractStatus), r.startsOn || r.endsOn ? ` ${r.startsOn || ''} – ${r.endsOn || ''}` : '');
        break;
      case 'VISIT_PLAN':
        line(r.purpose, ' ', badge('visitStatus', r.visitStatus));
        break;
      case 'MARKETING':
        line(r.campaign, r.medium ? ` · ${r.medium}` : '', r.response ? ` · ${r.response}` : '');
        break;
      default:
        break;
    }
    return parts;
  }
}

export default {
  id: 'customer',
  subject: null, // a company or a person: told by the node once loaded
  panel: true,
  async load({ id }, ctx) {
    const panel = new CustomerPanel(id, ctx);
    await panel.load();
    const n = panel.node;
    return {
      map: { nodes: [], edges: [] },
      known: [{
        id: n.id, name: n.name, nameEn: n.nameEn, kind: n.__typename === 'Company' ? 'COMPANY' : 'PERSON',
        isCustomer: Boolean(n.customer), hidden: false,
      }],
      panel: () => panel.render(),
      customer: panel,
    };
  },
};
