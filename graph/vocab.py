"""The closed vocabulary of the graph: labels, relationship types and their enums.

Cypher text may be built from these members (they are code, not input); never from strings a
client sent. The GraphQL enums in schema/ wrap these same Python enums, with labels in
Chinese and English in `LABELS`.
"""

from __future__ import annotations

from enum import Enum
from typing import LiteralString

# Members are singletons that compare by identity, so they may hash by identity too, in C.
# Enum's own __hash__ (the name's hash) is a Python call, and an import keys millions of
# dict entries by (label, id) and (type, id): 13% of the admin path's settling CPU.
_IDENTITY_HASH = object.__hash__


class Label(Enum):
    _value_: LiteralString  # Cypher text may be built from these (graph/cypher.py)
    __hash__ = _IDENTITY_HASH

    COMPANY = "Company"
    PERSON = "Person"
    PROJECT = "Project"
    USER = "User"


class Rel(Enum):
    _value_: LiteralString
    __hash__ = _IDENTITY_HASH

    # company to company (R1)
    SUBSIDIARY_OF = "SUBSIDIARY_OF"
    SUPPLIES = "SUPPLIES"
    DISTRIBUTES_FOR = "DISTRIBUTES_FOR"
    PARTNERS_WITH = "PARTNERS_WITH"
    INVESTS_IN = "INVESTS_IN"
    INFLUENCES_PURCHASE = "INFLUENCES_PURCHASE"
    INCUMBENT_AT = "INCUMBENT_AT"  # competitor -> customer (R5)
    # people (R2, R4)
    WORKS_AT = "WORKS_AT"
    REPORTS_TO = "REPORTS_TO"
    INFLUENCES = "INFLUENCES"
    RELATED_TO = "RELATED_TO"
    # projects (R3)
    PARTICIPATES_IN = "PARTICIPATES_IN"
    FOR = "FOR"
    # our side (R6)
    OWNS = "OWNS"
    ON_TEAM = "ON_TEAM"
    KNOWS = "KNOWS"
    # referrals (R13): who brought whom to us
    REFERRED = "REFERRED"


# (from label, to label) per relationship type; "Customer" means Company or Person.
ENDPOINTS: dict[Rel, tuple[tuple[Label, ...], tuple[Label, ...]]] = {
    Rel.SUBSIDIARY_OF: ((Label.COMPANY,), (Label.COMPANY,)),
    Rel.SUPPLIES: ((Label.COMPANY,), (Label.COMPANY,)),
    Rel.DISTRIBUTES_FOR: ((Label.COMPANY,), (Label.COMPANY,)),
    Rel.PARTNERS_WITH: ((Label.COMPANY,), (Label.COMPANY,)),
    Rel.INVESTS_IN: ((Label.COMPANY,), (Label.COMPANY,)),
    Rel.INFLUENCES_PURCHASE: ((Label.COMPANY,), (Label.COMPANY,)),
    Rel.INCUMBENT_AT: ((Label.COMPANY,), (Label.COMPANY,)),
    Rel.WORKS_AT: ((Label.PERSON,), (Label.COMPANY,)),
    Rel.REPORTS_TO: ((Label.PERSON,), (Label.PERSON,)),
    Rel.INFLUENCES: ((Label.PERSON,), (Label.PERSON,)),
    Rel.RELATED_TO: ((Label.PERSON,), (Label.PERSON,)),
    Rel.PARTICIPATES_IN: ((Label.PERSON,), (Label.PROJECT,)),
    Rel.FOR: ((Label.PROJECT,), (Label.COMPANY, Label.PERSON)),
    Rel.OWNS: ((Label.USER,), (Label.COMPANY, Label.PERSON)),
    Rel.ON_TEAM: ((Label.USER,), (Label.PROJECT,)),
    Rel.KNOWS: ((Label.USER,), (Label.PERSON,)),
    Rel.REFERRED: ((Label.COMPANY, Label.PERSON), (Label.COMPANY, Label.PERSON)),
}

HIERARCHY = (Rel.SUBSIDIARY_OF,)
INDUSTRY_CHAIN = (Rel.SUPPLIES, Rel.DISTRIBUTES_FOR, Rel.PARTNERS_WITH, Rel.INVESTS_IN)
DECISION_CHAIN = (Rel.INFLUENCES_PURCHASE,)
# Relationships whose endpoints must stay acyclic.
ACYCLIC = (Rel.SUBSIDIARY_OF, Rel.REPORTS_TO)


class SubsidiaryKind(Enum):
    SUBSIDIARY = "SUBSIDIARY"
    BRANCH = "BRANCH"
    DIVISION = "DIVISION"
    JOINT_VENTURE = "JOINT_VENTURE"


class ReportingKind(Enum):
    SOLID = "SOLID"
    DOTTED = "DOTTED"


class Polarity(Enum):
    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"


class PersonalTie(Enum):
    SPOUSE = "SPOUSE"
    FAMILY = "FAMILY"
    FORMER_COLLEAGUE = "FORMER_COLLEAGUE"
    CLASSMATE = "CLASSMATE"
    FRIEND = "FRIEND"


class DecisionRole(Enum):
    DECISION_MAKER = "DECISION_MAKER"
    ECONOMIC_BUYER = "ECONOMIC_BUYER"
    TECHNICAL_EVALUATOR = "TECHNICAL_EVALUATOR"
    FINANCIAL_APPROVER = "FINANCIAL_APPROVER"
    USER = "USER"
    INFLUENCER = "INFLUENCER"
    CHAMPION = "CHAMPION"
    GATEKEEPER = "GATEKEEPER"
    BLOCKER = "BLOCKER"


class Stance(Enum):
    SUPPORTER = "SUPPORTER"
    NEUTRAL = "NEUTRAL"
    OPPONENT = "OPPONENT"
    UNKNOWN = "UNKNOWN"


class CustomerKind(Enum):
    ENTERPRISE = "ENTERPRISE"
    INDIVIDUAL = "INDIVIDUAL"


class LifecycleStage(Enum):
    POTENTIAL = "POTENTIAL"
    NEW = "NEW"
    ACTIVE = "ACTIVE"
    LOST = "LOST"


class LostReason(Enum):
    """Why a customer stopped buying (seed 003: former customers keep their reason)."""

    PRICE = "PRICE"
    COMPETITOR = "COMPETITOR"
    SERVICE = "SERVICE"
    QUALITY = "QUALITY"
    NO_NEED = "NO_NEED"
    BUSINESS_CLOSED = "BUSINESS_CLOSED"
    RELOCATED = "RELOCATED"
    LAPSED = "LAPSED"  # set by the lifecycle rule: no order within the customer's horizon
    OTHER = "OTHER"


class Tier(Enum):
    CORE = "CORE"
    GENERAL = "GENERAL"
    PROBLEM = "PROBLEM"


class ProjectStatus(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"
    ON_HOLD = "ON_HOLD"


class ProjectStage(Enum):
    LEAD = "LEAD"
    QUALIFIED = "QUALIFIED"
    PROPOSAL = "PROPOSAL"
    NEGOTIATION = "NEGOTIATION"
    CLOSED = "CLOSED"


class DealLossReason(Enum):
    """Why an opportunity was lost: the few answers a win-loss review sorts by."""

    PRICE = "PRICE"
    COMPETITOR = "COMPETITOR"
    NO_BUDGET = "NO_BUDGET"
    NO_DECISION = "NO_DECISION"
    TIMING = "TIMING"
    PRODUCT_FIT = "PRODUCT_FIT"
    RELATIONSHIP = "RELATIONSHIP"
    OTHER = "OTHER"


class Gender(Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    OTHER = "OTHER"


class VerificationStatus(Enum):
    """What the last check of a phone, e-mail or address found (R19)."""

    UNVERIFIED = "UNVERIFIED"  # never checked, or its value changed since
    VERIFIED = "VERIFIED"
    INVALID = "INVALID"  # not a working number or address
    NO_ANSWER = "NO_ANSWER"
    BOUNCED = "BOUNCED"  # mail or SMS refused by the provider
    WRONG_PERSON = "WRONG_PERSON"  # it works, but reaches someone else


class VerificationMethod(Enum):
    """How a verification status was established."""

    CALL = "CALL"
    SMS = "SMS"
    EMAIL = "EMAIL"
    VISIT = "VISIT"
    DOCUMENT = "DOCUMENT"  # a business licence, a credit report, a letter
    IMPORT = "IMPORT"  # a file of call or mail results
    SMTP_REJECT = "SMTP_REJECT"  # an outreach e-mail the server refused (graph/outreach.py)
    OTHER = "OTHER"


class ContactField(Enum):
    """A contact channel, by the property that holds it."""

    PHONE = "phone"
    FAX = "fax"
    ADDRESS = "address"
    MOBILE = "mobile"
    OFFICE_PHONE = "officePhone"
    EMAIL = "email"


# The contact channels each label keeps a verification status for (node properties
# `<field>Status`, `…StatusAt`, `…StatusBy`, `…StatusMethod`; graph/verification.py).
CHANNELS: dict[Label, tuple[LiteralString, ...]] = {
    Label.COMPANY: ("phone", "fax", "address"),
    Label.PERSON: ("mobile", "officePhone", "email"),
}


# Two lines of one node that must not hold the same number: a "phone" that is the fax
# machine reaches nobody (seed 003). Refused on every write that would make them equal.
DISTINCT_LINES: dict[Label, tuple[str, str]] = {Label.COMPANY: ("phone", "fax")}


class ConsentPurpose(Enum):
    """Processing that needs the person's consent (PIPL art. 13-14, 39; GDPR art. 6-7)."""

    MARKETING = "MARKETING"
    PROFILING = "PROFILING"
    CROSS_BORDER_TRANSFER = "CROSS_BORDER_TRANSFER"
    THIRD_PARTY_SHARING = "THIRD_PARTY_SHARING"


class ConsentSource(Enum):
    """How a consent or its withdrawal reached us."""

    WRITTEN = "WRITTEN"
    ELECTRONIC = "ELECTRONIC"
    VERBAL = "VERBAL"
    IMPORTED = "IMPORTED"


class ErasureReason(Enum):
    """Why a person's data is erased (PIPL art. 47 grounds)."""

    SUBJECT_REQUEST = "SUBJECT_REQUEST"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    PURPOSE_FULFILLED = "PURPOSE_FULFILLED"
    RETENTION_EXPIRED = "RETENTION_EXPIRED"
    UNLAWFUL_PROCESSING = "UNLAWFUL_PROCESSING"


# --- Records over time (R11-R13, graph/records.py) -------------------------------------------
class RecordKind(Enum):
    """A record's kind: its node label besides `:Record`, and its GraphQL type name."""

    _value_: LiteralString

    INTERACTION = "Interaction"
    ORDER = "Order"
    PAYMENT = "Payment"
    DELIVERY = "Delivery"
    SERVICE_CASE = "ServiceCase"
    SURVEY = "Survey"
    CONTRACT = "Contract"
    VISIT_PLAN = "VisitPlan"
    MARKETING = "MarketingActivity"


class Channel(Enum):
    CALL = "CALL"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    VISIT = "VISIT"
    WECHAT = "WECHAT"
    SMS = "SMS"
    OTHER_MESSAGE = "OTHER_MESSAGE"


class Direction(Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class ServiceCategory(Enum):
    REQUEST = "REQUEST"
    COMPLAINT = "COMPLAINT"
    FEEDBACK = "FEEDBACK"


class Severity(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class CaseStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class ContractStatus(Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"


class PlanStatus(Enum):
    PLANNED = "PLANNED"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class FollowUpStatus(Enum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


# --- Classification (R14, graph/classification.py) -------------------------------------------
class Dimension(Enum):
    """A classification dimension: each customer holds at most one class per dimension."""

    CHARACTERISTICS = "CHARACTERISTICS"  # format, market type, scale
    TRADE = "TRADE"  # the trade relationship, from the records
    NATURE = "NATURE"  # individual, intermediary, manufacturer, government/institution
    PRODUCT_LINE = "PRODUCT_LINE"  # what the customer buys


# Chinese and English labels for every enum value, served to clients by `enumLabels`.
LABELS: dict[Enum, tuple[str, str]] = {
    Label.COMPANY: ("企业", "Company"),
    Label.PERSON: ("个人", "Person"),
    Label.PROJECT: ("项目", "Project"),
    Label.USER: ("员工", "Staff member"),
    Rel.SUBSIDIARY_OF: ("隶属", "Subsidiary of"),
    Rel.SUPPLIES: ("供货", "Supplies"),
    Rel.DISTRIBUTES_FOR: ("经销", "Distributes for"),
    Rel.PARTNERS_WITH: ("合作", "Partners with"),
    Rel.INVESTS_IN: ("投资", "Invests in"),
    Rel.INFLUENCES_PURCHASE: ("影响采购", "Influences purchase"),
    Rel.INCUMBENT_AT: ("在位竞争对手", "Incumbent at"),
    Rel.WORKS_AT: ("任职", "Works at"),
    Rel.REPORTS_TO: ("汇报给", "Reports to"),
    Rel.INFLUENCES: ("影响", "Influences"),
    Rel.RELATED_TO: ("社会关系", "Related to"),
    Rel.PARTICIPATES_IN: ("参与项目", "Participates in"),
    Rel.FOR: ("所属客户", "For customer"),
    Rel.OWNS: ("负责客户", "Owns"),
    Rel.ON_TEAM: ("项目团队", "On team"),
    Rel.KNOWS: ("认识", "Knows"),
    SubsidiaryKind.SUBSIDIARY: ("子公司", "Subsidiary"),
    SubsidiaryKind.BRANCH: ("分公司", "Branch"),
    SubsidiaryKind.DIVISION: ("事业部", "Division"),
    SubsidiaryKind.JOINT_VENTURE: ("合资公司", "Joint venture"),
    ReportingKind.SOLID: ("直线汇报", "Solid line"),
    ReportingKind.DOTTED: ("虚线汇报", "Dotted line"),
    Polarity.POSITIVE: ("正面影响", "Positive"),
    Polarity.NEGATIVE: ("负面影响", "Negative"),
    PersonalTie.SPOUSE: ("配偶", "Spouse"),
    PersonalTie.FAMILY: ("家人", "Family"),
    PersonalTie.FORMER_COLLEAGUE: ("前同事", "Former colleague"),
    PersonalTie.CLASSMATE: ("同学", "Classmate"),
    PersonalTie.FRIEND: ("朋友", "Friend"),
    DecisionRole.DECISION_MAKER: ("决策者", "Decision maker"),
    DecisionRole.ECONOMIC_BUYER: ("经济决策人", "Economic buyer"),
    DecisionRole.TECHNICAL_EVALUATOR: ("技术评估", "Technical evaluator"),
    DecisionRole.FINANCIAL_APPROVER: ("财务审核", "Financial approver"),
    DecisionRole.USER: ("使用者", "User"),
    DecisionRole.INFLUENCER: ("影响者", "Influencer"),
    DecisionRole.CHAMPION: ("内部支持者", "Champion"),
    DecisionRole.GATEKEEPER: ("把关人", "Gatekeeper"),
    DecisionRole.BLOCKER: ("阻碍者", "Blocker"),
    Stance.SUPPORTER: ("支持", "Supporter"),
    Stance.NEUTRAL: ("中立", "Neutral"),
    Stance.OPPONENT: ("反对", "Opponent"),
    Stance.UNKNOWN: ("未知", "Unknown"),
    CustomerKind.ENTERPRISE: ("企业客户", "Enterprise"),
    CustomerKind.INDIVIDUAL: ("个人客户", "Individual"),
    LifecycleStage.POTENTIAL: ("潜在客户", "Potential"),
    LifecycleStage.NEW: ("新客户", "New"),
    LifecycleStage.ACTIVE: ("活跃客户", "Active"),
    LifecycleStage.LOST: ("流失客户", "Lost"),
    LostReason.PRICE: ("价格", "Price"),
    LostReason.COMPETITOR: ("转向竞争对手", "Went to a competitor"),
    LostReason.SERVICE: ("服务不满", "Service"),
    LostReason.QUALITY: ("质量问题", "Quality"),
    LostReason.NO_NEED: ("不再需要", "No longer needed"),
    LostReason.BUSINESS_CLOSED: ("停业", "Business closed"),
    LostReason.RELOCATED: ("迁移", "Relocated"),
    LostReason.LAPSED: ("长期未购（规则）", "Lapsed (rule)"),
    LostReason.OTHER: ("其他", "Other"),
    Tier.CORE: ("核心客户", "Core"),
    Tier.GENERAL: ("一般客户", "General"),
    Tier.PROBLEM: ("问题客户", "Problem"),
    ProjectStatus.OPEN: ("进行中", "Open"),
    ProjectStatus.WON: ("赢单", "Won"),
    ProjectStatus.LOST: ("丢单", "Lost"),
    ProjectStatus.ON_HOLD: ("暂停", "On hold"),
    ProjectStage.LEAD: ("线索", "Lead"),
    ProjectStage.QUALIFIED: ("已确认", "Qualified"),
    ProjectStage.PROPOSAL: ("方案", "Proposal"),
    ProjectStage.NEGOTIATION: ("谈判", "Negotiation"),
    ProjectStage.CLOSED: ("结束", "Closed"),
    DealLossReason.PRICE: ("价格", "Price"),
    DealLossReason.COMPETITOR: ("输给竞争对手", "Lost to a competitor"),
    DealLossReason.NO_BUDGET: ("无预算", "No budget"),
    DealLossReason.NO_DECISION: ("无决策/搁置", "No decision"),
    DealLossReason.TIMING: ("时机不对", "Timing"),
    DealLossReason.PRODUCT_FIT: ("产品不匹配", "Product fit"),
    DealLossReason.RELATIONSHIP: ("关系不到位", "Relationship"),
    DealLossReason.OTHER: ("其他", "Other"),
    Gender.MALE: ("男", "Male"),
    Gender.FEMALE: ("女", "Female"),
    Gender.OTHER: ("其他", "Other"),
    ConsentPurpose.MARKETING: ("营销推广", "Marketing"),
    ConsentPurpose.PROFILING: ("用户画像", "Profiling"),
    ConsentPurpose.CROSS_BORDER_TRANSFER: ("跨境传输", "Cross-border transfer"),
    ConsentPurpose.THIRD_PARTY_SHARING: ("向第三方提供", "Sharing with third parties"),
    ConsentSource.WRITTEN: ("书面同意", "Written"),
    ConsentSource.ELECTRONIC: ("电子同意", "Electronic"),
    ConsentSource.VERBAL: ("口头同意", "Verbal"),
    ConsentSource.IMPORTED: ("外部导入", "Imported"),
    ErasureReason.SUBJECT_REQUEST: ("本人要求删除", "The person asked"),
    ErasureReason.CONSENT_WITHDRAWN: ("撤回同意", "Consent withdrawn"),
    ErasureReason.PURPOSE_FULFILLED: ("处理目的已实现", "Purpose fulfilled"),
    ErasureReason.RETENTION_EXPIRED: ("保存期限已届满", "Retention period over"),
    ErasureReason.UNLAWFUL_PROCESSING: ("违法处理", "Unlawful processing"),
    Rel.REFERRED: ("推荐介绍", "Referred"),
    RecordKind.INTERACTION: ("沟通记录", "Interaction"),
    RecordKind.ORDER: ("订单", "Order"),
    RecordKind.PAYMENT: ("收款", "Payment"),
    RecordKind.DELIVERY: ("发货", "Delivery"),
    RecordKind.SERVICE_CASE: ("服务记录", "Service case"),
    RecordKind.SURVEY: ("满意度调查", "Satisfaction survey"),
    RecordKind.CONTRACT: ("合同", "Contract"),
    RecordKind.VISIT_PLAN: ("拜访计划", "Visit plan"),
    RecordKind.MARKETING: ("营销活动", "Marketing activity"),
    Channel.CALL: ("电话", "Call"),
    Channel.EMAIL: ("邮件", "E-mail"),
    Channel.MEETING: ("会议", "Meeting"),
    Channel.VISIT: ("拜访", "Visit"),
    Channel.WECHAT: ("微信", "WeChat"),
    Channel.SMS: ("短信", "SMS"),
    Channel.OTHER_MESSAGE: ("其他消息", "Other message"),
    Direction.INBOUND: ("客户来访/来电", "Inbound"),
    Direction.OUTBOUND: ("主动联系", "Outbound"),
    ServiceCategory.REQUEST: ("服务请求", "Request"),
    ServiceCategory.COMPLAINT: ("投诉", "Complaint"),
    ServiceCategory.FEEDBACK: ("反馈", "Feedback"),
    Severity.LOW: ("低", "Low"),
    Severity.MEDIUM: ("中", "Medium"),
    Severity.HIGH: ("高", "High"),
    Severity.CRITICAL: ("紧急", "Critical"),
    CaseStatus.OPEN: ("待处理", "Open"),
    CaseStatus.IN_PROGRESS: ("处理中", "In progress"),
    CaseStatus.RESOLVED: ("已解决", "Resolved"),
    CaseStatus.CLOSED: ("已关闭", "Closed"),
    ContractStatus.DRAFT: ("草拟", "Draft"),
    ContractStatus.ACTIVE: ("生效", "Active"),
    ContractStatus.EXPIRED: ("到期", "Expired"),
    ContractStatus.TERMINATED: ("终止", "Terminated"),
    PlanStatus.PLANNED: ("已计划", "Planned"),
    PlanStatus.DONE: ("已完成", "Done"),
    PlanStatus.CANCELLED: ("已取消", "Cancelled"),
    FollowUpStatus.OPEN: ("待跟进", "Open"),
    FollowUpStatus.DONE: ("已完成", "Done"),
    FollowUpStatus.CANCELLED: ("已取消", "Cancelled"),
    Dimension.CHARACTERISTICS: ("客户特征", "Characteristics"),
    Dimension.TRADE: ("交易关系", "Trade relationship"),
    Dimension.NATURE: ("客户性质", "Nature"),
    Dimension.PRODUCT_LINE: ("产品线", "Product line"),
}
