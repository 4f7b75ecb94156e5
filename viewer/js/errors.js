// An error as one line of a form or panel: what went wrong in the page's language, chosen by
// its code (extensions.code, or a typed payload error's code), then the server's own words as
// a small detail. The viewer's own checks carry no code: their message is already translated.
import { h } from './dom.js';
import { errorDetail, errorText, t } from './i18n.js';

export function errorLine(e, { prefix = null } = {}) {
  if (!e.code) return h('p', { class: 'field-error' }, prefix, e.message);
  const detail = errorDetail(e);
  return h('p', { class: 'field-error', 'data-code': e.code, title: e.code },
    prefix, errorText(e),
    detail ? h('span', { class: 'muted small error-detail' }, ` ${t('err.detail')}${e.field ? `${e.field}: ` : ''}${detail}`) : null);
}
