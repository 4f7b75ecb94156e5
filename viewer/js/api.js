// GraphQL calls, one function per query of docs/API-MAPS.md. Every call resolves to the
// `data` object or throws an ApiError carrying the server's messages and extensions.code.

import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(message, code, errors = []) {
    super(message);
    this.code = code;
    this.errors = errors;
  }
}

const NODE = 'id kind name nameEn isCustomer tier lifecycleStage title department companyId depth role stance influence hidden data';
const EDGE = 'id source target type since until kind strength polarity data';
const MAP = `nodes { ${NODE} } edges { ${EDGE} } truncated moreBeyondDepth`;
const PATH = `nodes { ${NODE} } edges { ${EDGE} } strength explanation`;
const INTRO = `${PATH} colleagueHops ranking hops { from to tie types strength edgeIds }`;

// While the server starts (Neo4j, migrations, demo data) it answers 503 DATABASE_UNAVAILABLE;
// requests wait and retry for up to STARTUP_WAIT_MS, telling the page through onWaiting.
const STARTUP_WAIT_MS = 120_000;
let waitingListener = () => {};

export function onWaiting(listener) {
  waitingListener = listener;
}

export async function gql(query, variables = {}) {
  const started = Date.now();
  for (;;) {
    try {
      const data = await gqlOnce(query, variables);
      waitingListener(false);
      return data;
    } catch (err) {
      if (err.code !== 'DATABASE_UNAVAILABLE' || Date.now() - started > STARTUP_WAIT_MS) {
        waitingListener(false);
        throw err;
      }
      waitingListener(true);
      await new Promise((resolve) => { setTimeout(resolve, 2000); });
    }
  }
}

async function gqlOnce(query, variables) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const key = localStorage.getItem('crm.apiKey');
  if (key) headers.authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError('', 'NETWORK'); // no server text: the server never answered
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP ${response.status} ${response.statusText}`, httpCode(response.status));
  }
  if (body.errors?.length) {
    const messages = [...new Set(body.errors.map((e) => e.message))];
    const code = body.errors[0].extensions?.code || 'GRAPHQL_ERROR';
    throw new ApiError(messages.join('\n'), code, body.errors);
  }
  if (!response.ok || !body.data) {
    throw new ApiError(`HTTP ${response.status} ${response.statusText}`, httpCode(response.status));
  }
  return body.data;
}

/** A code the page can word (i18n err.code.*) for a reply that carries none (a proxy's page). */
function httpCode(status) {
  if (status === 429) return 'RATE_LIMITED';
  if (status === 502 || status === 503 || status === 504) return 'SERVER_BUSY';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status >= 500) return 'INTERNAL';
  return `HTTP_${status}`;
}

/** Drops null/undefined/'' so the server's defaults apply. */
function args(values) {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v != null && v !== ''));
}

// me() once per key: the header asks it.
let meOf = null;  // { key, promise }

/** Who the key in use signs in as: { name, roles, mayEdit } (mayEdit false: ANALYST and
 * AUDITOR, whose writes the server refuses). Asked once per key; a failure is asked again. */
export function me() {
  const key = localStorage.getItem('crm.apiKey');
  if (!meOf || meOf.key !== key) {
    const promise = gql('{ me { name roles mayEdit } }').then((data) => data.me);
    meOf = { key, promise };
    promise.catch(() => { if (meOf?.promise === promise) meOf = null; });
  }
  return meOf.promise;
}

export async function search(text, first = 10) {
  const data = await gql(
    // A person hit says whether it is a customer: its customer tab needs to know (tester BK).
    'query Search($text: String!, $first: Int) { search(text: $text, first: $first) { id kind name nameEn score node { ... on Person { customer { customerKind } } } } }',
    { text, first },
  );
  return data.search;
}

// Each map query takes `graphml: true` to fetch only the GraphML text of the same graph.

export async function accountMap({ center, depth = 2, asOf, limit }, { graphml = false } = {}) {
  const sel = graphml ? 'graphml' : MAP;
  const data = await gql(
    `query AccountMap($center: ID!, $depth: Int, $asOf: Date, $limit: Int) {
      accountMap(center: $center, depth: $depth, asOf: $asOf, limit: $limit, layout: NONE) { ${sel} } }`,
    args({ center, depth, asOf, limit }),
  );
  return graphml ? data.accountMap.graphml : data.accountMap;
}

export async function groupHierarchy({ company, asOf }, { graphml = false } = {}) {
  const sel = graphml ? 'map { graphml }' : `map { ${MAP} } roots rollups { companyId companies customers openProjectAmount }`;
  const data = await gql(
    `query GroupHierarchy($company: ID!, $asOf: Date) {
      groupHierarchy(company: $company, asOf: $asOf, layout: NONE) { ${sel} } }`,
    args({ company, asOf }),
  );
  return graphml ? data.groupHierarchy.map.graphml : data.groupHierarchy;
}

export async function contactMap({ company, asOf, includeInfluence = true, includeSubsidiaries = false }, { graphml = false } = {}) {
  const sel = graphml ? 'graphml' : MAP;
  const data = await gql(
    `query ContactMap($company: ID!, $asOf: Date, $inf: Boolean, $subs: Boolean) {
      contactMap(company: $company, asOf: $asOf, includeInfluence: $inf, includeSubsidiaries: $subs, layout: NONE) { ${sel} } }`,
    args({ company, asOf, inf: includeInfluence, subs: includeSubsidiaries }),
  );
  return graphml ? data.contactMap.graphml : data.contactMap;
}

/**
 * The projects a company's (or its group's) people take part in. The contract has no
 * company -> projects query; contactMap puts each person's project roles in
 * data.projectRoles ({projectId, project, role, stance}), so they are collected from there.
 */
/** The projects of a company and of the companies below it (today's group), by name, as
 * PROJECT nodes: also those nobody takes part in yet, which a map's people do not name. */
export async function projectsOf({ company }) {
  const data = await gql(
    `query ProjectsOf($company: ID!) {
      projects(first: 100, filter: { customerGroup: $company }) { nodes { id name } } }`,
    { company },
  );
  return data.projects.nodes.map((p) => ({ id: p.id, name: p.name || p.id, kind: 'PROJECT', hidden: false }));
}

/** Unique projects named in a map's people's data.projectRoles, as PROJECT nodes. */
export function projectsIn(map) {
  const projects = new Map();
  for (const n of map.nodes) {
    for (const r of n.data?.projectRoles || []) {
      if (r.projectId && !projects.has(r.projectId)) {
        projects.set(r.projectId, { id: r.projectId, name: r.project || r.projectId, kind: 'PROJECT', hidden: false });
      }
    }
  }
  return [...projects.values()];
}

export async function decisionTree({ project, asOf }, { graphml = false } = {}) {
  const sel = graphml
    ? 'map { graphml }'
    : `map { ${MAP} } roots uncoveredRoles riskyOpponents unconnectedDecisionMakers
       decisionMakersNobodyKnows staffTies { userId userName personId strength decisionMaker }
       stanceHistory { personId from to at by }`;
  const data = await gql(
    `query DecisionTree($project: ID!, $asOf: Date) {
      decisionTree(project: $project, asOf: $asOf, layout: NONE) { ${sel} } }`,
    args({ project, asOf }),
  );
  return graphml ? data.decisionTree.map.graphml : data.decisionTree;
}

export async function relatedAccounts({ company, asOf, maxHops = 2, first = 20 }) {
  const data = await gql(
    `query RelatedAccounts($company: ID!, $asOf: Date, $maxHops: Int, $first: Int) {
      relatedAccounts(company: $company, asOf: $asOf, maxHops: $maxHops, first: $first) {
        company { ${NODE} } score via paths { ${PATH} } } }`,
    args({ company, asOf, maxHops, first }),
  );
  return data.relatedAccounts;
}

/** Warm-introduction paths to several targets in one request (one alias per target). */
export async function warmIntroPaths({ targets, asOf, first = 5 }) {
  if (!targets.length) return [];
  const fields = targets.map((_, i) =>
    `t${i}: warmIntroPaths(target: $t${i}, asOf: $asOf, first: $first) { ${INTRO} }`).join('\n');
  const decl = targets.map((_, i) => `$t${i}: ID!`).join(', ');
  const vars = { asOf, first };
  targets.forEach((id, i) => { vars[`t${i}`] = id; });
  const data = await gql(`query WarmIntro(${decl}, $asOf: Date, $first: Int) { ${fields} }`, args(vars));
  return targets.map((_, i) => data[`t${i}`]);
}

// ---------- customer records (README "Customer records") ----------

const FIGURES = `purchases { currency orders firstOrderAt lastOrderAt meanDaysBetweenOrders receivable overdue
    windows { days orders amount quantity averagePrice } }
  lastInteractionAt lastInteractionChannel nextVisitAt openFollowUps overdueFollowUps openComplaints
  meanSatisfaction surveys`;
const PARTY = '__typename ... on Company { id name nameEn } ... on Person { id name nameEn }';
const RECORD = `id kind occurredAt subject notes voidedAt customer { ${PARTY} } staff { id name }
  contacts { id name nameEn }
  ... on Interaction { channel direction durationMinutes agreement followUps { id action dueAt status } }
  ... on Order { orderNo currency amount quantity }
  ... on Payment { currency amount method order { id orderNo } }
  ... on Delivery { trackingNo complete order { id orderNo } }
  ... on ServiceCase { category severity caseStatus: status resolution }
  ... on Survey { score }
  ... on Contract { contractNo title contractCurrency: currency amount contractStatus: status startsOn endsOn }
  ... on VisitPlan { purpose visitStatus: status }
  ... on MarketingActivity { campaign medium: channel response }`;
// (aliases: the same field name with another type in two fragments is invalid GraphQL)
const FOLLOW_UP = 'id action dueAt status version assignee { id name } record { id subject occurredAt }';

/** A company or person with its customer profile and computed figures (null: not a customer). */
export async function customerFigures(id) {
  const data = await gql(
    `query CustomerFigures($id: ID!) {
      node(id: $id) { __typename
        ... on Company { id name nameEn mayEdit customer { customerCode tier lifecycleStage } figures { ${FIGURES} } }
        ... on Person { id name nameEn mayEdit customer { customerCode tier lifecycleStage } figures { ${FIGURES} } } } }`,
    { id },
  );
  return data.node;
}

/** One page of a customer's (or group's) timeline, newest first. */
export async function timeline({ party, first = 20, after, includeSubsidiaries = false, kinds, since, until }) {
  const data = await gql(
    `query Timeline($party: ID!, $first: Int!, $after: String, $subs: Boolean!, $kinds: [RecordKind!],
        $since: DateTime, $until: DateTime) {
      timeline(party: $party, first: $first, after: $after, includeSubsidiaries: $subs, kinds: $kinds,
               since: $since, until: $until) {
        nodes { ${RECORD} } pageInfo { hasNextPage endCursor } } }`,
    args({ party, first, after, subs: includeSubsidiaries, kinds: kinds?.length ? kinds : null, since, until }),
  );
  return data.timeline;
}

/** A customer's open follow-ups, soonest due first, with how many there are. */
export async function openFollowUps({ customer, first = 20 }) {
  const data = await gql(
    `query OpenFollowUps($customer: ID!, $first: Int!) {
      followUps(first: $first, customer: $customer, status: OPEN) { totalCount nodes { ${FOLLOW_UP} } } }`,
    { customer, first },
  );
  return data.followUps;
}

/** saveRecord with an interaction; resolves to the payload (typed `errors` are data, not thrown). */
export async function saveInteraction(input) {
  const data = await gql(
    `mutation SaveInteraction($input: SaveRecordInput!) {
      saveRecord(input: $input) { record { id kind occurredAt subject } errors { code message field } } }`,
    { input },
  );
  return data.saveRecord;
}

export async function closeFollowUp(input) {
  const data = await gql(
    `mutation CloseFollowUp($input: CloseFollowUpInput!) {
      closeFollowUp(input: $input) { followUp { id status } errors { code message field } } }`,
    { input },
  );
  return data.closeFollowUp;
}

// ---------- customer intelligence (issue 14): scores, churn, lifecycle ----------

const NAMED = '__typename ... on Company { id name nameEn } ... on Person { id name nameEn }';
const INTELLIGENCE = `scored value segment churnRisk churnLevel pAlive scoredAt confirmedAt modelVersion model
  rfm { recency frequency monetary cell inputs }
  factors { factor score weight share inputs }
  churnSignals { reason points detail people { ${NAMED} } companies { ${NAMED} } }
  lifecycle { stage since manual lostReason lostNote reason }`;
const LIFECYCLE_CHANGE = 'id at old new by rule reason lostReason';
// Each reason's figures, so the page words it in its own language (`explanation` is English).
const OFFER = `product { id sku name } score reasons { kind points explanation accountCount accounts { via }
  rules { basedOn { id name } support buyersOfProduct confidence lift }
  preference { cycleDays orders lastOrderAt daysUntilExpected repurchase } }`;

/** A customer's scores with their explanations, its lifecycle moves and latest snapshots. */
export async function customerIntelligence(id, { history = 5 } = {}) {
  const data = await gql(
    `query CustomerIntelligence($id: ID!, $first: Int!) {
      node(id: $id) { __typename
        ... on Company { intelligence { ${INTELLIGENCE} } recommendations(first: 5) { ${OFFER} } }
        ... on Person { intelligence { ${INTELLIGENCE} } recommendations(first: 5) { ${OFFER} } } }
      lifecycleHistory(customer: $id, first: 10) { ${LIFECYCLE_CHANGE} }
      scoreHistory(customer: $id, first: $first) {
        nodes { id scoredAt confirmedAt modelVersion value segment cell churnRisk churnLevel stage } } }`,
    { id, first: history },
  );
  return {
    intelligence: data.node?.intelligence || null,
    recommendations: data.node?.recommendations || [],
    lifecycleHistory: data.lifecycleHistory,
    scoreHistory: data.scoreHistory.nodes,
  };
}

/** setLifecycleStage; resolves to the payload (typed `errors` are data, not thrown). */
export async function setLifecycleStage(input) {
  const data = await gql(
    `mutation SetLifecycleStage($input: SetLifecycleStageInput!) {
      setLifecycleStage(input: $input) { intelligence { lifecycle { stage } } errors { code message field } } }`,
    { input },
  );
  return data.setLifecycleStage;
}

/** One page of customers at churn risk, highest first. */
export async function churnWarnings({ first = 20, after, levels, owner }) {
  const data = await gql(
    `query ChurnWarnings($first: Int!, $after: String, $levels: [ChurnLevel!], $owner: ID) {
      churnWarnings(first: $first, after: $after, levels: $levels, owner: $owner) {
        nodes { id churnRisk churnLevel reasons value segment stage pAlive customer { ${NAMED} } }
        pageInfo { hasNextPage endCursor } } }`,
    args({ first, after, levels: levels?.length ? levels : null, owner }),
  );
  return data.churnWarnings;
}

/** The 80/20 line and the churn counts, over the customers the viewer sees. */
export async function churnSummary() {
  const kc = '{ key count }';
  const data = await gql(
    `query ChurnSummary {
      pareto { since until currency share customers topCustomers topAmount totalAmount topShare }
      churnAnalysis { since until lostByStage ${kc} lostByReason ${kc} atRiskByStage ${kc} atRiskByReason ${kc} } }`,
  );
  return data;
}

/** The signed-in user's id, from `me`; null when the key is no user's (the dev demo key)
 * or the server will not say. (`apiKeys` answered an anonymous viewer with an error the
 * server logged on every page load: tester BG.) */
export async function myUserId() {
  try {
    const data = await gql('query Me { me { user { id } } }');
    return data.me.user?.id || null;
  } catch {
    return null;
  }
}

// ---------- pipeline and hand-over (issue 17) ----------

const PERSON_NAME = '... on Person { id name nameEn }';
const RISK = `score flags { flag weight reason reasonZh days people { ${PERSON_NAME} } }`;
const DEAL = `id name stage status amount currency expectedClose customer { ${NAMED} }`;

/** The funnel, the forecast by month (now and a month ago) and the riskiest deals of a scope. */
export async function pipeline({ scope, since, first = 10 }) {
  const figures = 'open amount weighted won onHold';
  const data = await gql(
    `query Pipeline($scope: PipelineScopeInput, $since: Date, $first: Int!) {
      funnel(scope: $scope, since: $since) { since until currency cohort won wonAmount lost lostAmount
        lossReasons { reason count amount } winRate otherCurrency truncated
        steps { stage reached reachedAmount current currentAmount conversion medianDays } }
      forecast(scope: $scope) { asOf compareTo currency truncated
        months { month now { ${figures} } then { ${figures} } } total { ${figures} } totalThen { ${figures} } }
      atRiskOpportunities(scope: $scope, first: $first) { totalCount truncated
        items { project { ${DEAL} } ${RISK} } } }`,
    args({ scope, since, first }),
  );
  return data;
}

/** Plan against actual for one period: the team's members (USER rows) when a team is given,
 * else every team (TEAM rows). Decimal amounts arrive as strings. */
export async function planVsActual({ period, team }) {
  const data = await gql(
    `query Plans($period: String!, $dimension: PlanDimension!, $team: ID) {
      planVsActual(period: $period, dimension: $dimension, team: $team) {
        period asOf elapsedShare dimension truncated
        rows { targetId currency planSource plan actual percentage gap forecast forecastMethod
          user { id name } team { id name } } } }`,
    { period, dimension: team ? 'USER' : 'TEAM', team: team || null },
  );
  return data.planVsActual;
}

/** Who the signed-in user is (name, team, roles) and the teams with their members; null
 * fields when the viewer is no named user. */
export async function whoAmI() {
  const id = await myUserId();
  const data = await gql(
    `query WhoAmI($id: ID!, $known: Boolean!) {
      user(id: $id) @include(if: $known) { id name team roles }
      teams { id code name parent { code } members(first: 100) { id name roles } } }`,
    { id: id || '', known: Boolean(id) },
  );
  return { user: data.user || null, teams: data.teams };
}

/** An account's hand-over brief; null when the viewer cannot see it. */
export async function handOverBrief(account) {
  const data = await gql(
    `query Brief($account: ID!) {
      handOverBrief(account: $account) {
        account { ${NAMED} }
        openOpportunities { project { ${DEAL} } ${RISK} }
        openFollowUps { nodes { id action dueAt status assignee { id name } } }
        lastInteractions { nodes { id occurredAt subject staff { id name }
          ... on Interaction { channel } } }
        keyPeople { person { ${PERSON_NAME} } roles { projectId role stance }
          ties { userId userName strength } } } }`,
    { account },
  );
  return data.handOverBrief;
}

/** handOver (dryRun or not) and the names of what it moves; typed `errors` are data. */
export async function handOver(input) {
  const move = 'id to customerId';
  const data = await gql(
    `mutation HandOver($input: HandOverInput!) {
      handOver(input: $input) { handOver { id dryRun accounts { ${move} } projects { ${move} }
        followUps { ${move} } closedProjects { ${move} } leftBehind { ${move} } leftBehindHidden sharesEnded }
        errors { code message field } } }`,
    { input },
  );
  const payload = data.handOver;
  const moved = payload.handOver;
  const ids = moved ? [...moved.accounts, ...moved.projects].map((m) => m.id).slice(0, 100) : [];
  if (ids.length) {
    const named = await gql(
      `query Named($ids: [ID!]!) { nodes(ids: $ids) { __typename
        ... on Company { id name nameEn } ... on Person { id name nameEn } ... on Project { id name } } }`,
      { ids },
    );
    payload.names = Object.fromEntries(named.nodes.filter(Boolean).map((n) => [n.id, n]));
  } else payload.names = {};
  return payload;
}

/** Names of nodes by id (null for the ones the viewer may not see), for headings and tabs. */
export async function namesOf(ids) {
  if (!ids.length) return [];
  const data = await gql(
    `query Names($ids: [ID!]!) { nodes(ids: $ids) { __typename
      ... on Company { id name nameEn } ... on Person { id name nameEn } ... on Project { id name } } }`,
    { ids },
  );
  const kinds = { Company: 'COMPANY', Person: 'PERSON', Project: 'PROJECT' };
  return data.nodes.map((n) => (n ? { ...n, kind: kinds[n.__typename], hidden: false } : null));
}

/** A project's name and its customer (company or person), for the project views' tabs. */
export async function projectInfo(id) {
  const data = await gql(
    `query ProjectInfo($id: ID!) { node(id: $id) { __typename
      ... on Project { id name stage status customer { ${NAMED} } } } }`,
    { id },
  );
  const p = data.node?.__typename === 'Project' ? data.node : null;
  if (!p) return null;
  const c = p.customer;
  const customer = c ? { id: c.id, name: c.name, nameEn: c.nameEn, kind: c.__typename === 'Person' ? 'PERSON' : 'COMPANY', hidden: false } : null;
  return {
    project: { id: p.id, name: p.name, kind: 'PROJECT', hidden: false, customerId: customer?.id || null },
    customer,
  };
}
