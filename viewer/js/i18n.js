// Interface text in Chinese and English. t(key) looks a string up in the current language;
// enum values (roles, stances, edge types...) go through label(kind, value).

const STRINGS = {
  zh: {
    title: '客户关系图谱',
    'search.placeholder': '搜索公司或联系人（中文或英文）',
    'search.none': '没有找到匹配项',
    'lang.switch': 'English',
    'landing.heading': '从一个客户开始',
    'landing.text': '在上方搜索公司或联系人，或点击下面的起点。打开公司后可查看集团层级、组织架构、项目决策链和引荐路径。',
    'landing.starts': '起点',
    'landing.none': '暂无起点，请在上方搜索。',
    'view.account': '关系图',
    'view.hierarchy': '集团层级',
    'view.contacts': '组织架构',
    'view.decision': '决策链',
    'view.related': '关联客户',
    'view.intro': '引荐路径',
    'ctl.asOf': '日期',
    'ctl.edges': '关系类型',
    'ctl.influence': '显示影响力',
    'ctl.subsidiaries': '含下属公司',
    'ctl.png': '导出 PNG',
    'ctl.graphml': '导出 GraphML',
    'ctl.fit': '适应窗口',
    'ctl.apiKey': '输入 API 密钥',
    'details.heading': '详情',
    'details.hint': '点击节点查看详情。',
    'act.account': '关系图',
    'act.hierarchy': '集团层级',
    'act.contacts': '组织架构',
    'act.related': '关联客户',
    'act.expand': '展开相邻节点',
    'act.decision': '决策链',
    'act.intro': '引荐路径',
    'act.employer': '所在公司',
    loading: '加载中…',
    starting: '服务器正在启动（数据库、演示数据），请稍候…',
    truncated: '结果已截断：超过了数量上限，只显示了一部分。',
    beyond: '已显示所选深度内的全部节点；更远处还有关联公司，可展开节点继续查看。',
    empty: '没有可显示的节点。',
    'err.title': '出错了',
    'err.network': '无法连接服务器',
    'err.dismiss': '关闭',
    'dt.deciders': '谁来决策',
    'dt.swayers': '谁影响他们',
    'dt.uncovered': '未覆盖的角色',
    'dt.risky': '高影响力的反对者',
    'dt.unconnected': '我方尚未接触的决策者',
    'dt.unknown': '我方无人直接认识的决策者',
    'dt.staffTies': '我方谁认识谁（关系强度）',
    'dt.hidden': '隐性影响者',
    'dt.none': '无',
    'dt.history': '立场变化',
    'dt.legend': '颜色表示立场；虚线边框为隐性影响者。',
    'map.projects': '项目',
    'map.counts': '{n} 个节点，{m} 条关系',
    'rel.heading': '关联客户',
    'rel.score': '关联度',
    'intro.heading': '引荐路径',
    'intro.to': '到 {name}',
    'intro.strength': '强度',
    'intro.none': '没有找到引荐路径。',
    'intro.colleagues': '其中 {n} 步只是同事关系（同一公司任职），排在私人关系之后。',
    'rollup': '下属 {companies} 家公司，{customers} 家客户，在谈项目金额 {amount}',
    'f.kind': '类型', 'f.nameEn': '英文名', 'f.title': '职务', 'f.department': '部门',
    'f.tier': '客户等级', 'f.lifecycleStage': '生命周期', 'f.role': '决策角色', 'f.stance': '立场',
    'f.influence': '影响力', 'f.hidden': '隐性影响者', 'f.isCustomer': '客户', 'f.depth': '层级',
    'f.since': '开始', 'f.until': '结束', 'f.strength': '强度', 'f.polarity': '方向',
    'f.type': '关系', 'yes': '是', 'no': '否',
  },
  en: {
    title: 'Relationship map',
    'search.placeholder': 'Search a company or contact (Chinese or English)',
    'search.none': 'No matches',
    'lang.switch': '中文',
    'landing.heading': 'Start from an account',
    'landing.text': 'Search a company or contact above, or pick a starting point below. From a company you can open its group hierarchy, org chart, project decision trees and warm-introduction paths.',
    'landing.starts': 'Starting points',
    'landing.none': 'No starting points yet; search above.',
    'view.account': 'Account map',
    'view.hierarchy': 'Group hierarchy',
    'view.contacts': 'Org chart',
    'view.decision': 'Decision tree',
    'view.related': 'Related accounts',
    'view.intro': 'Warm intros',
    'ctl.asOf': 'As of',
    'ctl.edges': 'Edge kinds',
    'ctl.influence': 'Influence overlay',
    'ctl.subsidiaries': 'Include subsidiaries',
    'ctl.png': 'Export PNG',
    'ctl.graphml': 'Export GraphML',
    'ctl.fit': 'Fit',
    'ctl.apiKey': 'Enter API key',
    'details.heading': 'Details',
    'details.hint': 'Click a node for its details.',
    'act.account': 'Account map',
    'act.hierarchy': 'Group hierarchy',
    'act.contacts': 'Org chart',
    'act.related': 'Related accounts',
    'act.expand': 'Expand neighbours',
    'act.decision': 'Decision tree',
    'act.intro': 'Warm intro paths',
    'act.employer': 'Employer',
    loading: 'Loading…',
    starting: 'The server is starting (database, demo data); please wait…',
    truncated: 'Truncated: the result reached its size limit, so only part of it is shown.',
    beyond: 'Everything within the chosen depth is shown; more companies lie further out (expand a node to see them).',
    empty: 'Nothing to show.',
    'err.title': 'Something went wrong',
    'err.network': 'Cannot reach the server',
    'err.dismiss': 'Dismiss',
    'dt.deciders': 'Who decides',
    'dt.swayers': 'Who sways them',
    'dt.uncovered': 'Uncovered roles',
    'dt.risky': 'Risky opponents',
    'dt.unconnected': 'Decision makers we cannot reach',
    'dt.unknown': 'Decision makers nobody on our staff knows',
    'dt.staffTies': 'Who on our staff knows whom (strength)',
    'dt.hidden': 'Hidden influencers',
    'dt.none': 'none',
    'dt.history': 'Stance changes',
    'dt.legend': 'Colour shows stance; a dashed border marks a hidden influencer.',
    'map.projects': 'Projects',
    'map.counts': '{n} nodes, {m} edges',
    'rel.heading': 'Related accounts',
    'rel.score': 'score',
    'intro.heading': 'Warm-introduction paths',
    'intro.to': 'to {name}',
    'intro.strength': 'strength',
    'intro.none': 'No introduction path found.',
    'intro.colleagues': '{n} hop(s) only through working at the same company: ranked after personal ties.',
    'rollup': '{companies} companies below, {customers} customers, open projects {amount}',
    'f.kind': 'Kind', 'f.nameEn': 'English name', 'f.title': 'Title', 'f.department': 'Department',
    'f.tier': 'Tier', 'f.lifecycleStage': 'Lifecycle', 'f.role': 'Decision role', 'f.stance': 'Stance',
    'f.influence': 'Influence', 'f.hidden': 'Hidden influencer', 'f.isCustomer': 'Customer', 'f.depth': 'Depth',
    'f.since': 'Since', 'f.until': 'Until', 'f.strength': 'Strength', 'f.polarity': 'Polarity',
    'f.type': 'Relationship', 'yes': 'yes', 'no': 'no',
  },
};

const LABELS = {
  kind: {
    COMPANY: ['公司', 'Company'], PERSON: ['联系人', 'Person'], PROJECT: ['项目', 'Project'],
    USER: ['我方人员', 'Our staff'],
  },
  role: {
    DECISION_MAKER: ['决策者', 'Decision maker'], ECONOMIC_BUYER: ['经济决策人', 'Economic buyer'],
    TECHNICAL_EVALUATOR: ['技术评估', 'Technical evaluator'],
    FINANCIAL_APPROVER: ['财务审批', 'Financial approver'], USER: ['使用者', 'User'],
    INFLUENCER: ['影响者', 'Influencer'], CHAMPION: ['内部支持者', 'Champion'],
    GATEKEEPER: ['把关人', 'Gatekeeper'], BLOCKER: ['阻碍者', 'Blocker'],
  },
  stance: {
    SUPPORTER: ['支持', 'Supporter'], NEUTRAL: ['中立', 'Neutral'], OPPONENT: ['反对', 'Opponent'],
    UNKNOWN: ['未知', 'Unknown'],
  },
  edge: {
    SUBSIDIARY_OF: ['隶属', 'Subsidiary of'], SUPPLIES: ['供货', 'Supplies'],
    DISTRIBUTES_FOR: ['分销', 'Distributes for'], PARTNERS_WITH: ['合作', 'Partners with'],
    INVESTS_IN: ['投资', 'Invests in'], INFLUENCES_PURCHASE: ['影响采购', 'Influences purchase'],
    INCUMBENT_AT: ['现有供应商', 'Incumbent at'], WORKS_AT: ['任职', 'Works at'],
    REPORTS_TO: ['汇报', 'Reports to'], INFLUENCES: ['影响', 'Influences'],
    RELATED_TO: ['私人关系', 'Related to'], PARTICIPATES_IN: ['参与', 'Participates in'],
    FOR: ['项目客户', 'For'], OWNS: ['负责', 'Owns'], ON_TEAM: ['项目组', 'On team'],
    KNOWS: ['认识', 'Knows'],
  },
  tier: { CORE: ['核心', 'Core'], GENERAL: ['一般', 'General'], PROBLEM: ['问题', 'Problem'] },
  lifecycleStage: {
    POTENTIAL: ['潜在', 'Potential'], NEW: ['新客户', 'New'], ACTIVE: ['活跃', 'Active'],
    LOST: ['流失', 'Lost'],
  },
  via: {
    HIERARCHY: ['集团层级', 'Hierarchy'], INDUSTRY_CHAIN: ['产业链', 'Industry chain'],
    DECISION_CHAIN: ['决策链', 'Decision chain'], SHARED_PEOPLE: ['共同人员', 'Shared people'],
    FORMER_EMPLOYEES: ['前员工', 'Former employees'], SHARED_PROJECTS: ['共同项目', 'Shared projects'],
  },
};

// Chinese by default: the product's users are Chinese sales teams; the choice is remembered.
let lang = localStorage.getItem('crm.lang') === 'en' ? 'en' : 'zh';

export function getLang() {
  return lang;
}

export function setLang(value) {
  lang = value === 'en' ? 'en' : 'zh';
  localStorage.setItem('crm.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  applyStatic();
}

export function t(key, vars = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

export function label(group, value) {
  if (value == null || value === '') return '';
  const pair = LABELS[group]?.[value];
  return pair ? pair[lang === 'zh' ? 0 : 1] : String(value);
}

/** A node's display name: the stored name in Chinese mode, the English name when there is one. */
export function displayName(node) {
  return lang === 'en' && node.nameEn ? node.nameEn : node.name;
}

/** Fills every element marked data-i18n (text), data-i18n-ph (placeholder), data-i18n-title. */
export function applyStatic(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-ph]').forEach((el) => { el.placeholder = t(el.dataset.i18nPh); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  document.title = t('title');
}
