"""Outreach (R26, graph/outreach.py): templates checked at save time, the audience of a send
with who is skipped and why, the job runner and its delivery channels.

Templates. Jinja2 in a `SandboxedEnvironment` with `StrictUndefined` and autoescape off:
e-mail goes out as text/plain and SMS is plain text, so nothing is HTML-escaped, and templates
written by users reach no Python internals. A template is checked when saved, every problem at
its input path: a syntax error; a variable other than those below; any attribute access that
is not one of their fields (so `{{ ''.__class__ }}` is refused before the sandbox would stop it
at render time; a for loop's `loop.index` and the like are allowed); anything but text,
`{{ ... }}`, `if` and non-recursive `for` (no `set`, `macro`, `call`, `filter`, `with`, `block`,
`include`, `extends`, `import`); a call other than `range(...)` (Jinja's other globals are gone);
Jinja's own names (`self`, `range`, `loop`) printed or filtered as values;
a list written anywhere but as what a `for` loops over; a filter outside FILTERS (center,
indent, format, map ... make unbounded text); more than MAX_TOKENS tokens; and a render against
Chinese sample data. Jinja's tests, comparisons, `~` and arithmetic may be used.
Every render is bounded, so a template costs milliseconds whatever it holds and whatever the
variables' values are: arithmetic is intercepted (`intercepted_binops`, so never folded at
compile time either) and refuses integers over MAX_BITS, text or lists over MAX_VALUE (`'x' *
10**9` is refused before it is built) and `%` on text; filters and `~` refuse results over
MAX_VALUE (`replace` and `join` before they run) and charge what they read and make to MAX_WORK;
each for loop's item charges the size of the loop to MAX_STEPS (a code generator wraps the
iterable); the output stops at MAX_RENDERED. Past a bound is `TemplateLimit`: a VALIDATION
error "too costly" at save, RENDER_FAILED for a recipient when sending or previewing. A list
used as text is `TemplateMisuse` ("fails on sample data" at save, as a type error is).
Variables (null values render as empty text):
- `customer.name`, `customer.code`: the customer (a company or a person);
- `contact.name`, `contact.title`: the recipient (for a person customer, the person; title
  empty);
- `owner.name`: the customer's current owner (our staff);
- `sender.name`: who sends the job.

Recipients. A person customer is their own recipient. A company's are its current employees
who decide purchases (`hasPurchasingPower`, or DECISION_MAKER in one of its projects), that
the sender sees, at most 20: marketing goes to the people who buy, not to everyone on file.
Each is sent to only with a current MARKETING consent (graph/privacy.py; erased and restricted
people never), an address for the channel (`email`, `mobile`, stored as entered, masked only
when shown) whose status is not BOUNCED, and once per job (a person deciding for two
customers is written to for the first). Everyone else is listed SKIPPED with the reason.
Only customers the sender may edit are addressed: a listed one they may not is refused
(NOT_FOUND / FORBIDDEN at its path, nothing written); a segment just leaves them out.

Delivery. `Provider`s: `SmtpChannel` (aiosmtplib) for e-mail when CRM_SMTP_HOST is set, else
e-mail also goes to the outbox; SMS always goes to the `OutboxChannel`, which stores what
would have been sent (outboxMessages) until a real SMS provider is plugged in with
`Runner.configure`. A recipient the SMTP server refuses (5xx) fails the message and marks the
person's emailStatus BOUNCED.

Jobs. `Runner` (one per app, in `app.state.outreach`) sends PENDING messages of RUNNING jobs,
oldest job first, each job at its `ratePerMinute`. It starts after the migrations and, at every
round, marks messages interrupted while SENDING as UNKNOWN (graph/outreach.py says why they are
never resent), so a job resumes after a restart where it stopped, sending nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from enum import Enum
from typing import Any, Protocol, TypedDict, TypeGuard, cast

import aiosmtplib
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes, pass_eval_context
from jinja2 import filters as jinja_filters
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from graph import clock
from graph import outreach as repo
from graph.access import Scope
from graph.actor import Actor, of_user
from graph.db import Database
from graph.nodes import Audit, new_id
from graph.refusal import Refusal
from graph.scoring import RiskLevel
from graph.vocab import LifecycleStage, Tier, VerificationStatus
from resolvers import validation as v
from resolvers.background import Background
from resolvers.common import READ_ONLY, audit
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.permissions import OUTREACH_SENDERS, TEMPLATE_KEEPERS
from resolvers.shapes import UserErrorRow

log = logging.getLogger(__name__)

OutreachChannel = repo.OutreachChannel
Locale = repo.Locale
JobStatus = repo.JobStatus
MessageStatus = repo.MessageStatus
SkipReason = repo.SkipReason
# Checked and found not working (R19): nobody is reached there.
NOT_WORKING = frozenset({VerificationStatus.INVALID.value, VerificationStatus.WRONG_PERSON.value})
TemplateRow = repo.TemplateRow

# Roles that send and keep templates; TEMPLATE_KEEPERS change anyone's template.
SENDERS = OUTREACH_SENDERS
MAX_NAME = 100
MAX_SUBJECT = 200
MAX_BODY = {OutreachChannel.EMAIL: 10_000, OutreachChannel.SMS: 1_000}
MAX_RENDERED = 20_000
MAX_RATE = 6_000
SENDER_TTL = 5.0  # seconds a sender's rights are trusted while a job sends
MAX_LIST = 500
MAX_PLANNED = 500  # planned rows a sendOutreach payload shows (the counts are complete)

VARIABLES: dict[str, tuple[str, ...]] = {
    "customer": ("name", "code"),
    "contact": ("name", "title"),
    "owner": ("name",),
    "sender": ("name",),
}
LOOP_FIELDS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
SAMPLE: dict[str, dict[str, str]] = {
    "customer": {"name": "华星集团有限公司", "code": "C-0001"},
    "contact": {"name": "张伟", "title": "采购经理"},
    "owner": {"name": "王销售"},
    "sender": {"name": "李经理"},
}


# --- Templates ---------------------------------------------------------------------------------
# Bounds on one render, so that no template costs more than a few milliseconds (the output is
# bounded by MAX_RENDERED):
MAX_VALUE = 5_000  # the longest variable, or text or list an operator or filter makes
MAX_BITS = 128  # the largest integer an operator makes
MAX_STEPS = 2_000  # template nodes evaluated in loops
MAX_WORK = 200_000  # characters read and made by filters and operators
MAX_TOKENS = 1_000  # names, literals, operators and tags: what compiling a template costs
# Filters that never make more than a bounded multiple of their input (replace and join are
# checked before they run); the others (center, indent, format, map, batch ...) can amplify.
FILTERS = ("abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int",
           "join", "last", "length", "list", "lower", "replace", "reverse", "round", "string",
           "title", "trim", "truncate", "upper", "wordcount")  # fmt: skip
_NAMED = {nodes.Assign: "set", nodes.AssignBlock: "set", nodes.Macro: "macro",
          nodes.CallBlock: "call", nodes.FilterBlock: "filter", nodes.With: "with",
          nodes.Block: "block", nodes.Include: "include", nodes.Extends: "extends",
          nodes.Import: "import", nodes.FromImport: "import", nodes.Dict: "dict",
          nodes.Slice: "slice"}  # fmt: skip
_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.For, nodes.Const,
            nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Compare, nodes.Operand, nodes.BinExpr,
            nodes.UnaryExpr, nodes.CondExpr, nodes.Concat, nodes.Filter, nodes.Test,
            nodes.Keyword, nodes.Call, nodes.List, nodes.Tuple)  # fmt: skip
_COLLECTIONS = (list, tuple, dict, set, frozenset)


class TemplateLimit(SecurityError):
    """A template went past a bound on its cost (MAX_*)."""


class TemplateMisuse(SecurityError):
    """A value of a type a template may not use there (a list as text): not a cost, a
    mistake, and said so (tester AS read "too costly" for it)."""


class TemplateRefused(ValueError):
    """A template that is not checked (module doc) or cannot be read."""


class _Budget:
    """What one render may still spend."""

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.work = MAX_WORK

    def loop(self, steps: int) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise TemplateLimit(f"its loops evaluate more than {MAX_STEPS} template nodes")

    def text(self, value: Any) -> None:
        if isinstance(value, (str, *_COLLECTIONS)):
            self.work -= len(value)
            if self.work < 0:
                raise TemplateLimit(f"its filters and operators handle more than {MAX_WORK} "
                                    "characters")  # fmt: skip


# The render under way (rendering is synchronous); unset while compiling constants.
_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _bounded(value: Any) -> Any:
    """An operator's or filter's result, within MAX_BITS and MAX_VALUE; charged to the render."""
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise TemplateLimit(f"a number is larger than {MAX_BITS} bits")
    if isinstance(value, (str, *_COLLECTIONS)) and len(value) > MAX_VALUE:
        raise TemplateLimit(f"a value is longer than {MAX_VALUE}")
    budget = _BUDGET.get()
    if budget is not None:
        budget.text(value)
    return value


def _text(value: Any) -> str:
    """A value as text; a collection's repr could be far longer than the collection."""
    if isinstance(value, _COLLECTIONS):
        raise TemplateMisuse("a list is used as text; use `|join`")
    return str(value)


def _bounded_filter(func: Any) -> Any:
    @functools.wraps(func)  # keeps jinja's pass_* marker
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = _BUDGET.get()
        if budget is not None:  # what it reads costs too (upper, wordcount ...)
            for arg in (*args, *kwargs.values()):
                budget.text(arg)
        return _bounded(func(*args, **kwargs))

    return bounded


@pass_eval_context
def _replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old_text, new_text = _text(s), _text(old), _text(new)
    n = text.count(old_text) if old_text else len(text) + 1
    if count is not None and count >= 0:
        n = min(n, count)
    if len(text) + n * (len(new_text) - len(old_text)) > MAX_VALUE:
        raise TemplateLimit(f"`replace` would make a text longer than {MAX_VALUE}")
    return str(jinja_filters.do_replace(eval_ctx, s, old, new, count))


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: Any = "") -> str:
    items = list(value)
    size = sum(len(_text(x)) for x in items) + len(_text(d)) * max(0, len(items) - 1)
    if size > MAX_VALUE:
        raise TemplateLimit(f"`join` would make a text longer than {MAX_VALUE}")
    return str(jinja_filters.do_join(eval_ctx, items, d))


def _output(value: Any) -> Any:
    """`finalize`: what `{{ ... }}` outputs."""
    if isinstance(value, _COLLECTIONS):
        raise TemplateMisuse("a list is output as text; use `|join`")
    return value


class _CodeGenerator(CodeGenerator):
    """Each for loop spends the render's budget per item, by the size of its body, and `~`
    is bounded like `+`: nothing else in a checked template repeats or grows (module doc)."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        steps = 1 + sum(1 for _ in node.find_all(nodes.Node))
        counted = nodes.EnvironmentAttribute("counted", lineno=node.lineno)
        node.iter = nodes.Call(counted, [node.iter, nodes.Const(steps)], [], None, None,
                               lineno=node.lineno)  # fmt: skip
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class TemplateEnvironment(SandboxedEnvironment):
    """The sandbox with bounded operators (intercepted: never folded at compile time either),
    filters, range and loops; no other global."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, finalize=_output)
        self.filters = {name: _bounded_filter(jinja_filters.FILTERS[name]) for name in FILTERS}
        self.filters["replace"] = _bounded_filter(_replace)
        self.filters["join"] = _bounded_filter(_join)
        self.tests = {name: _bounded_filter(test) for name, test in self.tests.items()}
        self.globals = {"range": self.bounded_range}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            # At least that many bits: anything smaller is cheap to compute and check after.
            if (abs(left).bit_length() - 1) * right > MAX_BITS:
                raise TemplateLimit(f"a number is larger than {MAX_BITS} bits")
        elif operator == "*":  # 'x' * 10**9: refused before it is built
            seq, n = (right, left) if isinstance(right, (str, *_COLLECTIONS)) else (left, right)
            sized = isinstance(seq, (str, *_COLLECTIONS)) and isinstance(n, int)
            if sized and len(seq) * n > MAX_VALUE:
                raise TemplateLimit(f"a value is longer than {MAX_VALUE}")
        elif operator == "%" and isinstance(left, str):
            raise TemplateLimit("`%` formats text without bound; use `~` and filters")
        return _bounded(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        return _bounded(super().call_unop(context, operator, arg))

    def bounded_range(self, *args: int) -> range:
        items = range(*args)
        try:
            if len(items) <= MAX_VALUE:
                return items
        except OverflowError:
            pass
        raise TemplateLimit(f"range is longer than {MAX_VALUE}")

    def counted(self, iterable: Any, steps: int) -> Any:
        budget = _BUDGET.get()
        for item in iterable:
            if budget is not None:
                budget.loop(steps)
            yield item

    def joined(self, parts: tuple[Any, ...]) -> str:
        texts = [_text(p) for p in parts]
        if sum(map(len, texts)) > MAX_VALUE:
            raise TemplateLimit(f"`~` would make a text longer than {MAX_VALUE}")
        return str(_bounded("".join(texts)))


@functools.cache
def environment() -> TemplateEnvironment:
    return TemplateEnvironment()


# Names Jinja defines itself in every template.
INTERNAL_NAMES = frozenset({"self", "range", "loop"})


def _literal(node: nodes.Node) -> TypeGuard[nodes.List | nodes.Tuple]:
    """A list or tuple written in the template (not a loop's `a, b` target)."""
    return isinstance(node, nodes.List) or (isinstance(node, nodes.Tuple) and node.ctx == "load")


def _problem(env: TemplateEnvironment, tree: nodes.Template) -> str | None:
    """What a parsed template uses that is not allowed (module doc), or None."""
    known = ", ".join(f"{k}.{f}" for k, fs in VARIABLES.items() for f in fs)
    iterables = {id(loop.iter) for loop in tree.find_all(nodes.For)}
    # Jinja's own names are read only as `range(...)` and `loop.<field>`: printed bare, they
    # would put internal object text (`self`, a bound method) into a customer's message.
    read_through = {id(n.node) for n in tree.find_all(nodes.Call)}
    read_through |= {id(n.node) for n in tree.find_all(nodes.Getattr)}
    read_through |= {id(n.node) for n in tree.find_all(nodes.Getitem)}
    for node in tree.find_all(nodes.Node):
        if (isinstance(node, nodes.Name) and node.name in INTERNAL_NAMES
                and (node.name == "self" or id(node) not in read_through)):  # fmt: skip
            return f"`{node.name}` cannot be used as a value; use {known}"
        if not isinstance(node, _ALLOWED):
            name = _NAMED.get(type(node), type(node).__name__.lower())
            return f"`{name}` is not allowed: a template has text, the variables, filters, " \
                "if and for"  # fmt: skip
        if isinstance(node, nodes.For) and node.recursive:
            return "a recursive loop is not allowed"
        if _literal(node) and (id(node) not in iterables or any(map(_literal, node.items))):
            return "a list may only be looped over: {% for x in ['a', 'b'] %}"
        if isinstance(node, (nodes.Call, nodes.Filter, nodes.Test)) and (
            node.dyn_args is not None or node.dyn_kwargs is not None
        ):
            return "`*args` and `**kwargs` are not allowed"
        if isinstance(node, nodes.Call) and not (
            isinstance(node.node, nodes.Name) and node.node.name == "range"
        ):
            return "only range() may be called"
        if (isinstance(node, nodes.Filter) and node.name not in env.filters
                and node.name in jinja_filters.FILTERS):  # fmt: skip
            return f"filter `{node.name}` is not allowed; use {', '.join(FILTERS)}"
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            target = node.node
            attr: Any = getattr(node, "attr", None)
            if isinstance(node, nodes.Getitem):
                attr = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if isinstance(target, nodes.Name) and target.name == "loop" and attr in LOOP_FIELDS:
                continue  # a for loop's own counters
            if not (isinstance(target, nodes.Name) and target.name in VARIABLES):
                return f"unsafe: only the fields of the template variables may be read ({known})"
            if attr not in VARIABLES[target.name]:
                return f"unknown field {target.name}.{attr}; use {known}"
    unknown = sorted(meta.find_undeclared_variables(tree) - set(VARIABLES))
    if unknown:
        return f"unknown variable(s) {', '.join(unknown)}; use {known}"
    return None


@functools.lru_cache(maxsize=256)
def _template(text: str) -> Template | str:
    """The compiled template, or why it is refused (kept too: a refused template is not parsed
    again for each recipient)."""
    env = environment()
    try:
        tokens = (t for t in env.lex(text) if t[1] != "whitespace")
        if sum(1 for _ in itertools.islice(tokens, MAX_TOKENS + 1)) > MAX_TOKENS:
            return f"too costly: more than {MAX_TOKENS} names, literals, operators and tags"
        problem = _problem(env, env.parse(text))
        return problem if problem is not None else env.from_string(text)
    except TemplateSyntaxError as exc:  # unknown filters and tests are found when compiling
        return f"template syntax error on line {exc.lineno}: {exc.message}"
    except RecursionError:
        return "cannot be read: it is nested too deeply"
    except (ValueError, OverflowError, MemoryError) as exc:  # a 5000-digit number ...
        return f"cannot be read: {exc}"


def render(text: str, context: dict[str, dict[str, str]]) -> str:
    """Render a template, within the bounds (module doc); raises TemplateRefused for a
    template that is not allowed, TemplateLimit past a bound, or what the sandbox raises."""
    template = _template(text)
    if isinstance(template, str):
        raise TemplateRefused(template)
    if any(len(value) > MAX_VALUE for fields in context.values() for value in fields.values()):
        raise TemplateLimit(f"a variable is longer than {MAX_VALUE}")
    token = _BUDGET.set(_Budget())
    try:
        parts, size = [], 0
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_RENDERED:
                raise TemplateLimit(f"the rendered text is longer than {MAX_RENDERED} characters")
            parts.append(part)
    finally:
        _BUDGET.reset(token)
    return "".join(parts)


def check_template(errors: v.Errors, text: str, path: str) -> None:
    """The problem of one template text, at `path` (see the module doc)."""
    try:
        render(text, SAMPLE)
    except TemplateRefused as exc:
        errors.add(ErrorCode.VALIDATION, str(exc), path)
    except TemplateLimit as exc:
        errors.add(ErrorCode.VALIDATION, f"too costly: {exc}", path)
    except TemplateMisuse as exc:
        errors.add(ErrorCode.VALIDATION, f"fails on sample data: {exc}", path)
    except Exception as exc:  # the sandbox's SecurityError, UndefinedError, TypeError, ...
        errors.add(ErrorCode.VALIDATION, f"fails on sample data: {type(exc).__name__}: {exc}",
                   path)  # fmt: skip


def _may_send(ctx: Context) -> bool:
    return bool(ctx.actor.roles & SENDERS) and ctx.actor.scope.may_edit


class TemplatePayload(TypedDict):
    template: TemplateRow | None
    errors: list[UserErrorRow]


def _template_refused(result: repo.TemplateResult) -> list[UserErrorRow]:
    refusal = result.refusal
    if refusal is Refusal.NOT_FOUND:
        return [payload_error(ErrorCode.NOT_FOUND, "no such template", "input.id")]
    if refusal is Refusal.FORBIDDEN:
        return [payload_error(ErrorCode.FORBIDDEN, "SALES change only the templates they "
                              "created; ask a manager", "input.id")]  # fmt: skip
    if refusal is Refusal.ENDED:
        return [payload_error(ErrorCode.CONFLICT, "the template is archived", "input.id")]
    return [
        payload_error(
            ErrorCode.CONFLICT,
            f"stale expectedVersion: the template is at version {result.current_version}",
            "input.expectedVersion",
        )
    ]


def _keeper_scope(ctx: Context) -> frozenset[str] | None:
    """Whose templates the viewer may change: anyone's for ADMIN and MANAGER, else their own."""
    return None if ctx.actor.roles & TEMPLATE_KEEPERS else frozenset({ctx.actor.id})


async def save_message_template(ctx: Context, data: dict[str, Any]) -> TemplatePayload:
    if not _may_send(ctx):
        return {"template": None, "errors": [payload_error(ErrorCode.FORBIDDEN, READ_ONLY,
                                                           "input")]}  # fmt: skip
    errors = v.Errors()
    channel = OutreachChannel(data["channel"].value)
    locale = Locale(data["locale"].value)
    name = v.text(errors, data.get("name"), "input.name", required=True, max_len=MAX_NAME)
    body = data.get("body") or ""
    if not body.strip():
        errors.add(ErrorCode.VALIDATION, "must not be blank", "input.body")
    elif len(body) > MAX_BODY[channel]:
        errors.add(ErrorCode.VALIDATION, f"is longer than {MAX_BODY[channel]} characters",
                   "input.body")  # fmt: skip
    else:
        check_template(errors, body, "input.body")
    subject = data.get("subject")
    if channel is OutreachChannel.SMS:
        if subject:
            errors.add(ErrorCode.VALIDATION, "an SMS has no subject", "input.subject")
        subject = None
    elif not (subject or "").strip():
        errors.add(ErrorCode.VALIDATION, "an e-mail needs a subject", "input.subject")
    elif len(subject or "") > MAX_SUBJECT:
        errors.add(ErrorCode.VALIDATION, f"is longer than {MAX_SUBJECT} characters",
                   "input.subject")  # fmt: skip
    else:
        check_template(errors, subject or "", "input.subject")
    if errors:
        return {"template": None, "errors": errors}
    props = {"name": name, "channel": channel.value, "locale": locale.value,
             "subject": subject, "body": body}  # fmt: skip
    template_id = str(data["id"]) if data.get("id") else None
    result = await repo.save_template(
        ctx.db, template_id, props, data.get("expectedVersion"), _keeper_scope(ctx),
        audit(ctx, "outreach.template.save"),
    )  # fmt: skip
    if result.refusal is not None:
        return {"template": None, "errors": _template_refused(result)}
    return {"template": result.template, "errors": []}


async def archive_message_template(ctx: Context, data: dict[str, Any]) -> TemplatePayload:
    template_id, expected_version = str(data["id"]), data.get("expectedVersion")
    if not _may_send(ctx):
        return {"template": None, "errors": [payload_error(ErrorCode.FORBIDDEN, READ_ONLY,
                                                           "input")]}  # fmt: skip
    result = await repo.save_template(
        ctx.db, template_id, {"archivedAt": clock.now()}, expected_version,
        _keeper_scope(ctx), audit(ctx, "outreach.template.archive"),
    )  # fmt: skip
    if result.refusal is not None:
        return {"template": None, "errors": _template_refused(result)}
    return {"template": result.template, "errors": []}


class CancelPayload(TypedDict):
    job: dict[str, Any] | None
    cancelled: int
    errors: list[UserErrorRow]


async def cancel_outreach_job(ctx: Context, data: dict[str, Any]) -> CancelPayload:
    job_id = str(data["id"])
    if not _may_send(ctx):
        return {"job": None, "cancelled": 0,
                "errors": [payload_error(ErrorCode.FORBIDDEN, READ_ONLY, "input")]}  # fmt: skip
    anyones = bool(ctx.actor.roles & TEMPLATE_KEEPERS)  # ADMIN and MANAGER stop any they see
    result = await repo.cancel_job(ctx.db, job_id, anyones, audit(ctx, "outreach.job.cancel"))
    refusal = result.refusal
    if refusal is not None:
        code, message = {
            Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no such job"),
            Refusal.FORBIDDEN: (ErrorCode.FORBIDDEN, "only its sender, a manager or an admin "
                                "stops a job"),
        }[refusal]  # fmt: skip
        return {"job": None, "cancelled": 0, "errors": [payload_error(code, message, "input.id")]}
    if ctx.outreach is not None:
        ctx.outreach.wake()  # a pause for the job's next message ends now
    job = await outreach_job(ctx, job_id)
    return {"job": job, "cancelled": result.cancelled, "errors": []}


async def message_templates(
    ctx: Context, channel: str | None, locale: str | None, archived: bool
) -> list[TemplateRow]:
    return await repo.templates(ctx.db, ctx.actor, channel, locale, archived)


async def message_template(ctx: Context, template_id: str) -> TemplateRow | None:
    return await repo.template(ctx.db, ctx.actor, template_id)


# --- The audience -----------------------------------------------------------------------------
def _context(row: dict[str, Any], sender_name: str) -> dict[str, dict[str, str]]:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "customer": {"name": text(row["customerName"]), "code": text(row["customerCode"])},
        "contact": {"name": text(row["personName"]), "title": text(row["title"])},
        "owner": {"name": text(row["ownerName"])},
        "sender": {"name": sender_name},
    }


def _skip(
    row: dict[str, Any], channel: OutreachChannel, seen: set[str], recent: set[str]
) -> str | None:
    """Why this recipient is not sent to, or None."""
    if row["personId"] is None:
        return SkipReason.NO_RECIPIENT.value
    if row["erased"]:
        return SkipReason.ERASED.value
    if not row["consented"]:
        latest = row["latestGranted"]
        if latest is None:
            return SkipReason.NO_CONSENT.value
        return str((SkipReason.CONSENT_EXPIRED if latest else SkipReason.CONSENT_WITHDRAWN).value)
    key = repo.ADDRESS[channel]
    if not row[key]:
        return SkipReason.NO_ADDRESS.value
    if row[repo.STATUS[channel]] == "BOUNCED":
        return SkipReason.BOUNCED.value
    if row[repo.STATUS[channel]] in NOT_WORKING:
        return SkipReason.NOT_WORKING.value
    if row["personId"] in seen:
        return SkipReason.DUPLICATE.value
    if row["personId"] in recent:
        return SkipReason.RECENTLY_SENT.value
    return None


async def plan(
    ctx: Context, rows: list[repo.RecipientRow], template: TemplateRow
) -> list[dict[str, Any]]:
    """One planned message per (customer, recipient): rendered when it will be sent. Each
    render is bounded, but thousands add up: other requests get their turn every 20 ms."""
    channel = OutreachChannel(template["channel"])
    people = sorted({str(r["personId"]) for r in rows if r["personId"] is not None})
    recent = await repo.recent(ctx.db, template["id"], people)
    sender_name = ctx.viewer.name
    seen: set[str] = set()
    out = []
    turn = time.monotonic()
    for recipient in rows:
        if time.monotonic() - turn > 0.02:
            await asyncio.sleep(0)
            turn = time.monotonic()
        row = cast(dict[str, Any], recipient)
        reason = _skip(row, channel, seen, recent)
        subject = body = None
        if reason is None:
            context = _context(row, sender_name)
            try:
                subject_text = template.get("subject")
                subject = render(subject_text, context) if subject_text else None
                body = render(template["body"], context)
            except Exception:
                reason = SkipReason.RENDER_FAILED.value
        if reason is None:
            seen.add(str(row["personId"]))
        address = row[repo.ADDRESS[channel]] if reason is None else None
        out.append({
            "customerId": row["customerId"],
            "personId": row["personId"],
            "channel": channel.value,
            "willSend": reason is None,
            "reason": reason,
            "address": address,
            "subject": subject,
            "body": body,
        })  # fmt: skip
    return out


def shape_address(row: dict[str, Any]) -> dict[str, Any]:
    """`address` as the masked `email` or `mobile` field of its channel."""
    email = row.get("address") if row.get("channel") == "EMAIL" else None
    mobile = row.get("address") if row.get("channel") == "SMS" else None
    return {**row, "email": email, "mobile": mobile}


class PreviewRow(TypedDict):
    templateId: str
    customerId: str
    recipients: list[dict[str, Any]]


async def preview_message(ctx: Context, template_id: str, customer_id: str) -> PreviewRow:
    """The template rendered for each recipient of one customer the viewer sees."""
    if not _may_send(ctx):
        raise ApiError(ErrorCode.FORBIDDEN, "your role does not send messages", "templateId")
    template = await repo.template(ctx.db, ctx.actor, template_id)
    if template is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no such template", "templateId")
    verdicts = await repo.check_customers(ctx.db, ctx.actor, [customer_id])
    if verdicts[0].verdict == "missing":
        raise ApiError(ErrorCode.NOT_FOUND, "no such customer", "customerId")
    rows, _ = await repo.audience(ctx.db, ctx.actor, [customer_id], None, visible=True)
    planned = await plan(ctx, rows, template)
    return {"templateId": template_id, "customerId": customer_id,
            "recipients": [shape_address(p) for p in planned]}  # fmt: skip


class SendPayload(TypedDict):
    job: dict[str, Any] | None
    dryRun: bool
    addressed: int
    skipped: int
    customers: int
    planned: list[dict[str, Any]]
    errors: list[UserErrorRow]


def _summary(planned: list[dict[str, Any]], dry_run: bool) -> SendPayload:
    addressed = sum(1 for p in planned if p["willSend"])
    return {"job": None, "dryRun": dry_run, "addressed": addressed,
            "skipped": len(planned) - addressed,
            "customers": len({p["customerId"] for p in planned}),
            "planned": [shape_address(p) for p in planned[:MAX_PLANNED]],
            "errors": []}  # fmt: skip


def _failed(errors: list[UserErrorRow], dry_run: bool = False) -> SendPayload:
    return {"job": None, "dryRun": dry_run, "addressed": 0, "skipped": 0, "customers": 0,
            "planned": [], "errors": errors}  # fmt: skip


def _enums(values: list[Any] | None) -> list[str] | None:
    return [x.value if isinstance(x, Enum) else str(x) for x in values] if values else None


def audience_of(errors: v.Errors, a: dict[str, Any]) -> tuple[list[str], repo.Segment]:
    """The customers listed, or the segment, of an audience (the input or a saved one)."""
    listed = [str(x) for x in a.get("customers") or []]
    segment = repo.Segment(
        tiers=_enums(a.get("tiers")),
        churn_levels=_enums(a.get("churnLevels")),
        stages=_enums(a.get("lifecycleStages")),
        customer_class=str(a["customerClass"]) if a.get("customerClass") else None,
    )
    by_segment = any(x is not None for x in vars(segment).values())
    if bool(listed) == by_segment:
        errors.add(ErrorCode.VALIDATION, "give either customers or a segment (tiers, "
                   "churnLevels, lifecycleStages, customerClass)", "input.audience")  # fmt: skip
    if len(listed) > repo.MAX_CUSTOMERS:
        errors.add(ErrorCode.VALIDATION, f"at most {repo.MAX_CUSTOMERS} customers",
                   "input.audience.customers")  # fmt: skip
    return listed, segment


async def check_audience(
    ctx: Context, errors: v.Errors, listed: list[str], segment: repo.Segment
) -> None:
    """What an audience names must exist for the viewer: its class, its customers (one
    hidden from them is NOT_FOUND, as everywhere)."""
    if segment.customer_class is not None:
        from resolvers.classification import customer_class

        if await customer_class(ctx, segment.customer_class) is None:
            errors.add(ErrorCode.NOT_FOUND, "no such customer class, `<dimension>:<key>`",
                       "input.audience.customerClass")  # fmt: skip
    for verdict in await repo.check_customers(ctx.db, ctx.actor, listed) if listed else []:
        path = f"input.audience.customers[{verdict.index}]"
        if verdict.verdict == "missing":
            errors.add(ErrorCode.NOT_FOUND, "no such customer", path)
        elif verdict.verdict == "forbidden":
            errors.add(ErrorCode.FORBIDDEN, "you may not write to this customer", path)
        elif verdict.verdict == "archived":
            errors.add(ErrorCode.VALIDATION, "the customer is archived", path)


def stored_filter(text: str) -> dict[str, Any]:
    """A saved audience's filter as audience input (enum names kept as strings)."""
    return {k: v for k, v in json.loads(text).items() if v is not None}


def _filter_json(listed: list[str], segment: repo.Segment) -> str:
    return json.dumps(
        {
            "customers": listed or None,
            "tiers": segment.tiers,
            "churnLevels": segment.churn_levels,
            "lifecycleStages": segment.stages,
            "customerClass": segment.customer_class,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


# A saved filter's enum lists, by key: stored as names, shown as the enums.
_AUDIENCE_ENUMS: dict[str, type[Enum]] = {
    "tiers": Tier,
    "churnLevels": RiskLevel,
    "lifecycleStages": LifecycleStage,
}


def shape_audience(row: repo.AudienceRow) -> dict[str, Any]:
    f = json.loads(row["filter"])
    lists = {k: [e(x) for x in f.get(k) or []] or None for k, e in _AUDIENCE_ENUMS.items()}
    return {
        **row,
        **lists,
        "customers": f.get("customers"),
        "customerClass": f.get("customerClass"),
    }


async def outreach_audiences(ctx: Context) -> list[dict[str, Any]]:
    return [shape_audience(r) for r in await repo.audiences(ctx.db, ctx.actor)]


class AudiencePayload(TypedDict):
    audience: dict[str, Any] | None
    errors: list[UserErrorRow]


_AUDIENCE_REFUSED = {
    Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no such saved audience"),
    Refusal.FORBIDDEN: (ErrorCode.FORBIDDEN, "only its creator or ADMIN changes it"),
}


async def save_outreach_audience(ctx: Context, data: dict[str, Any]) -> AudiencePayload:
    if not _may_send(ctx):
        error = payload_error(ErrorCode.FORBIDDEN, "your role does not send messages", "input")
        return {"audience": None, "errors": [error]}
    errors = v.Errors()
    name = v.text(errors, data.get("name"), "input.name", required=True, max_len=100)
    listed, segment = audience_of(errors, data["audience"])
    if not errors:
        listed = list(dict.fromkeys(listed))
        await check_audience(ctx, errors, listed, segment)
    if errors or name is None:
        return {"audience": None, "errors": errors}
    ident = str(data["id"]) if data.get("id") else None
    row, refusal = await repo.save_audience(
        ctx.db, ident, name, _filter_json(list(dict.fromkeys(listed)), segment),
        audit(ctx, "outreach.audience.save"),
    )  # fmt: skip
    if refusal is not None or row is None:
        code, message = _AUDIENCE_REFUSED[refusal or Refusal.FORBIDDEN]
        return {"audience": None, "errors": [payload_error(code, message, "input.id")]}
    return {"audience": shape_audience(row), "errors": []}


class DeletedPayload(TypedDict):
    id: str | None
    errors: list[UserErrorRow]


async def delete_outreach_audience(ctx: Context, data: dict[str, Any]) -> DeletedPayload:
    ident = str(data["id"])
    refusal = await repo.delete_audience(ctx.db, ident, audit(ctx, "outreach.audience.delete"))
    if refusal is not None:
        code, message = _AUDIENCE_REFUSED[refusal]
        return {"id": None, "errors": [payload_error(code, message, "input.id")]}
    return {"id": ident, "errors": []}


async def send_outreach(ctx: Context, data: dict[str, Any]) -> SendPayload:
    dry_run = bool(data.get("dryRun"))
    if not _may_send(ctx):
        return _failed([payload_error(ErrorCode.FORBIDDEN, "your role does not send messages",
                                      "input")], dry_run)  # fmt: skip
    errors = v.Errors()
    template = await repo.template(ctx.db, ctx.actor, str(data["template"]))
    if template is None:
        errors.add(ErrorCode.NOT_FOUND, "no such template", "input.template")
    elif template.get("archivedAt") is not None:
        errors.add(ErrorCode.VALIDATION, "the template is archived", "input.template")
    runner = ctx.outreach
    given = data.get("ratePerMinute")
    rate = int(getattr(runner, "default_rate", 60) if given is None else given)
    if not 1 <= rate <= MAX_RATE:
        errors.add(ErrorCode.VALIDATION, f"1..{MAX_RATE} messages a minute",
                   "input.ratePerMinute")  # fmt: skip
    a = data["audience"]
    if a.get("saved") is not None:
        if set(a) != {"saved"}:
            errors.add(ErrorCode.VALIDATION, "a saved audience stands alone",
                       "input.audience.saved")  # fmt: skip
        saved = await repo.saved_audience(ctx.db, ctx.actor, str(a["saved"]))
        if saved is None:
            errors.add(ErrorCode.NOT_FOUND, "no such saved audience", "input.audience.saved")
            return _failed(errors, dry_run)
        a = stored_filter(saved["filter"])
    listed, segment = audience_of(errors, a)
    if errors:
        return _failed(errors, dry_run)
    assert template is not None
    listed = list(dict.fromkeys(listed))
    await check_audience(ctx, errors, listed, segment)
    if errors:
        return _failed(errors, dry_run)
    rows, matched = await repo.audience(
        ctx.db, ctx.actor, listed or None, None if listed else segment
    )
    if matched > repo.MAX_CUSTOMERS:
        return _failed([payload_error(ErrorCode.VALIDATION, f"the segment holds {matched} "
                        f"customers; a job addresses at most {repo.MAX_CUSTOMERS}: narrow it",
                        "input.audience")], dry_run)  # fmt: skip
    planned = await plan(ctx, rows, template)
    if dry_run:
        return _summary(planned, dry_run)
    job_id = new_id()
    messages = []
    for seq, p in enumerate(planned, start=1):
        key = repo.message_key(job_id, p["customerId"], p["personId"])
        status = MessageStatus.PENDING if p["willSend"] else MessageStatus.SKIPPED
        props = {"seq": seq, "key": key, "status": status.value, "reason": p["reason"],
                 "channel": p["channel"], "customerId": p["customerId"],
                 "personId": p["personId"], "address": p["address"], "subject": p["subject"],
                 "body": p["body"]}  # fmt: skip
        messages.append({"key": key, "id": repo.message_id(key), "customerId": p["customerId"],
                         "personId": p["personId"], "props": props})  # fmt: skip
    # The filter as it was used; a saved audience's id too (it may change later).
    saved_id = data["audience"].get("saved")
    audience_json = json.dumps(
        {"saved": str(saved_id) if saved_id else None, "customers": listed or None,
         **vars(segment)}, ensure_ascii=False,
    )  # fmt: skip
    taken = await repo.create_job(
        ctx.db, job_id, OutreachChannel(template["channel"]), template["id"], rate,
        audience_json, messages, audit(ctx, "outreach.send"),
    )  # fmt: skip
    for p in planned:
        # Another job of the template reached them while this one was planned.
        if p["willSend"] and p["personId"] in taken:
            p.update(willSend=False, reason=SkipReason.RECENTLY_SENT.value, address=None,
                     subject=None, body=None)  # fmt: skip
    if runner is not None:
        runner.wake()
    out = _summary(planned, dry_run)
    out["job"] = await outreach_job(ctx, job_id)
    return out


# --- Jobs, messages, the outbox ---------------------------------------------------------------
def shape_job(row: repo.JobRow) -> dict[str, Any]:
    counts = {s.value: 0 for s in MessageStatus}
    for entry in row["statuses"]:
        counts[entry["status"]] = entry["n"]
    return {**row, "counts": {**{k.lower(): n for k, n in counts.items()},
                              "total": sum(counts.values())}}  # fmt: skip


async def outreach_job(ctx: Context, job_id: str) -> dict[str, Any] | None:
    found = await repo.jobs_by_id(ctx.db, ctx.actor, [job_id])
    row = found.get(job_id)
    return shape_job(row) if row is not None else None


def _limit(first: int) -> int:
    if not 1 <= first <= MAX_LIST:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"first must be 1..{MAX_LIST}", "first")
    return first


async def outreach_jobs(ctx: Context, status: str | None, first: int) -> list[dict[str, Any]]:
    rows = await repo.jobs(ctx.db, ctx.actor, status, _limit(first))
    return [shape_job(r) for r in rows]


async def outreach_messages(
    ctx: Context, job_id: str, status: str | None, first: int, after: int | None
) -> list[dict[str, Any]]:
    rows = await repo.messages(ctx.db, ctx.actor, job_id, status, after or 0, _limit(first))
    return [shape_address(dict(r)) for r in rows]


async def outbox_messages(
    ctx: Context, channel: str | None, job_id: str | None, first: int
) -> list[dict[str, Any]]:
    rows = await repo.outbox(ctx.db, ctx.actor, channel, job_id, _limit(first))
    return [shape_address(dict(r)) for r in rows]


# --- Delivery ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    message_id: str
    job_id: str
    customer_id: str
    channel: OutreachChannel
    address: str
    subject: str | None
    body: str


@dataclass(frozen=True)
class Delivery:
    ok: bool
    provider_id: str | None = None
    reason: str | None = None
    bounced: bool = False  # the provider refused the recipient for good
    method: str = ""  # how the bounce was learnt (SMTP_REJECT, ...)


class Provider(Protocol):
    """A delivery channel. `send` returns how it went; raising counts as a failure."""

    name: str

    async def send(self, db: Database, message: Outgoing, who: Audit) -> Delivery: ...


class OutboxChannel:
    """Stores what would have been sent (outboxMessages): the default SMS provider, and the
    e-mail one while SMTP is not configured."""

    name = "OUTBOX"

    async def send(self, db: Database, message: Outgoing, who: Audit) -> Delivery:
        props = {"channel": message.channel.value, "address": message.address,
                 "subject": message.subject, "body": message.body, "jobId": message.job_id,
                 "customerId": message.customer_id}  # fmt: skip
        await repo.put_outbox(db, message.message_id, props, who)
        return Delivery(ok=True, provider_id=f"outbox:{message.message_id}")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "crm@localhost"
    starttls: bool = True
    timeout: float = 30.0


class SmtpChannel:
    """E-mail over SMTP (aiosmtplib): text/plain in UTF-8, one recipient per message. Port
    465 speaks TLS from the start; otherwise STARTTLS when `starttls` is set."""

    name = "SMTP"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, db: Database, message: Outgoing, who: Audit) -> Delivery:
        c = self.config
        mail = EmailMessage()
        mail["From"] = c.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject or ""
        domain = c.sender.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
        mail.set_content(message.body, charset="utf-8")
        try:
            await aiosmtplib.send(
                mail, hostname=c.host, port=c.port, username=c.user, password=c.password,
                use_tls=c.port == 465, start_tls=c.starttls and c.port != 465, timeout=c.timeout,
            )  # fmt: skip
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            permanent = any(code >= 500 for code in codes)
            reason = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            return Delivery(ok=False, reason=f"recipient refused: {reason}", bounced=permanent,
                            method="SMTP_REJECT")  # fmt: skip
        except aiosmtplib.SMTPException as exc:
            return Delivery(ok=False, reason=f"{type(exc).__name__}: {exc}")
        return Delivery(ok=True, provider_id=str(mail["Message-ID"]))


# --- The runner -------------------------------------------------------------------------------
SYSTEM = Actor("system:outreach")


class Runner(Background):
    """Sends the messages of RUNNING jobs (module doc). One per app; `start` after the
    migrations, `wake` when a job is created, `stop` at shutdown."""

    name = "outreach"

    def __init__(
        self,
        email: Provider | None = None,
        sms: Provider | None = None,
        *,
        default_rate: int = 60,
        poll_seconds: float = 5.0,
        grace_seconds: float = repo.STALE_SENDING_SECONDS,
        public_companies: bool = True,
    ) -> None:
        outbox = OutboxChannel()
        self.channels: dict[OutreachChannel, Provider] = {
            OutreachChannel.EMAIL: email or outbox,
            OutreachChannel.SMS: sms or outbox,
        }
        self.default_rate = default_rate
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self.public_companies = public_companies
        self._last: dict[str, float] = {}  # job id -> monotonic time of its last send

    def configure(self, channel: OutreachChannel, provider: Provider) -> None:
        """Plug in another provider (a real SMS gateway; a test's SMTP server)."""
        self.channels[channel] = provider

    async def round(self, db: Database) -> None:
        who = Audit(SYSTEM, "outreach.recover", "outreach")
        interrupted = await repo.recover(db, who, self.grace_seconds)
        if interrupted:
            log.warning("outreach: %d interrupted messages marked UNKNOWN", interrupted)
        await self.drain(db)
        await repo.finish(db, who)

    async def drain(self, db: Database) -> int:
        """Send what is PENDING now; returns how many messages were sent. Jobs take turns:
        each sends while its rate allows, and a slow job does not hold up the others."""
        who = Audit(SYSTEM, "outreach.next", "outreach")
        # Each sender's rights as read at most SENDER_TTL seconds ago: a drain lasts as long
        # as a slow job, and a sender moved to another team or archived meanwhile must stop.
        senders: dict[str, tuple[Actor, float]] = {}
        sent = 0
        while True:
            batch = [b for b in await repo.next_batch(db, who) if b["pending"]]
            if not batch:
                self._last.clear()
                return sent
            soonest = float("inf")
            for job in batch:
                job_id, interval = job["jobId"], 60.0 / max(1, int(job["rate"]))
                for message_id in job["pending"]:
                    due = self._last.get(job_id, float("-inf")) + interval
                    if due > time.monotonic():
                        soonest = min(soonest, due)
                        break
                    actor, read_at = senders.get(job["createdBy"], (None, 0.0))
                    if actor is None or time.monotonic() - read_at > SENDER_TTL:
                        actor = await self._actor(db, job["createdBy"])
                        senders[job["createdBy"]] = (actor, time.monotonic())
                    started = time.monotonic()
                    outcome = await self._send(db, actor, job_id, message_id)
                    if outcome is not None:  # handed to the channel: it counts for the rate
                        self._last[job_id] = started
                        sent += int(outcome)
            if soonest != float("inf"):
                # A job whose messages are all done is DONE now, not when the slowest
                # job running beside it ends this drain.
                await repo.finish(db, who)
                await self._pause(soonest - time.monotonic())

    async def _pause(self, seconds: float) -> None:
        """Until the next message is due, or less when `wake` says a job was created or
        cancelled: a slow job's minute must not hold up a new fast one."""
        wake = self._wake
        if wake is None:  # drained without start(), as a test may
            await asyncio.sleep(max(0.0, seconds))
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), max(0.0, seconds))
        wake.clear()

    async def _actor(self, db: Database, user_id: str) -> Actor:
        """The job's sender with their scope as it is now (an archived or deleted sender
        reaches nothing, so their messages are SKIPPED as NOT_PERMITTED)."""
        if user_id.startswith("anonymous:"):  # the dev-mode demo viewer is ADMIN
            return Actor(user_id, frozenset({"ADMIN"}), Scope.everything())
        sender = await of_user(db, SYSTEM, user_id, public_companies=self.public_companies)
        return sender or Actor(user_id)

    async def _send(self, db: Database, actor: Actor, job_id: str, message_id: str) -> bool | None:
        """Claim and send one message: whether the channel took it, or None when it was not
        handed to the channel (skipped at the claim, or taken by another process)."""
        who = Audit(actor, "outreach.send", f"outreach:{job_id}")
        message, stop = await repo.claim(db, message_id, who)
        if message is None or stop is not None:
            return None
        channel = OutreachChannel(message["channel"])
        outgoing = Outgoing(
            message_id=message["id"], job_id=job_id, customer_id=message["customerId"],
            channel=channel, address=message["address"], subject=message.get("subject"),
            body=message["body"],
        )  # fmt: skip
        provider = self.channels[channel]
        try:
            delivery = await provider.send(db, outgoing, who)
        except Exception as exc:  # a provider's own fault: the message failed, the job goes on
            log.warning("outreach: %s failed on %s: %s", provider.name, message_id, exc)
            delivery = Delivery(ok=False, reason=f"{type(exc).__name__}: {exc}")
        if delivery.ok:
            await repo.mark_sent(db, message, delivery.provider_id, who)
            return True
        await repo.mark_failed(
            db, message, delivery.reason or "failed", delivery.bounced, delivery.method, who
        )
        return False
