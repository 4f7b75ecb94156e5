"""The graph's closed vocabulary, re-exported for schema/ (which never imports graph/)."""

from graph.vocab import (
    LABELS,
    CustomerKind,
    DecisionRole,
    Gender,
    Label,
    LifecycleStage,
    PersonalTie,
    Polarity,
    ProjectStage,
    ProjectStatus,
    Rel,
    ReportingKind,
    Stance,
    SubsidiaryKind,
    Tier,
)

__all__ = [
    "LABELS",
    "CustomerKind",
    "DecisionRole",
    "Gender",
    "Label",
    "LifecycleStage",
    "PersonalTie",
    "Polarity",
    "ProjectStage",
    "ProjectStatus",
    "Rel",
    "ReportingKind",
    "Stance",
    "SubsidiaryKind",
    "Tier",
]
