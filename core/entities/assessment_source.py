"""`AssessmentSource`: who or what made an assessment (MLflow's `AssessmentSource`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


class AssessmentSourceType:
    """The source types MLflow knows; values are plain strings."""

    SOURCE_TYPE_UNSPECIFIED = "SOURCE_TYPE_UNSPECIFIED"
    LLM_JUDGE = "LLM_JUDGE"
    AI_JUDGE = "AI_JUDGE"  # MLflow's old name of LLM_JUDGE, read as LLM_JUDGE
    HUMAN = "HUMAN"
    CODE = "CODE"

    @staticmethod
    def standardize(source_type: str) -> str:
        """Upper case, with the deprecated `AI_JUDGE` read as `LLM_JUDGE`, as MLflow does.

        Unlike MLflow, a type it does not know is kept rather than refused: a database may
        hold one, and reading it must not fail.
        """
        text = str(source_type).upper()
        return AssessmentSourceType.LLM_JUDGE if text == AssessmentSourceType.AI_JUDGE else text


@dataclass
class AssessmentSource:
    """An assessment's source: a type (`HUMAN`, `LLM_JUDGE`, `CODE`) and an id."""

    source_type: str
    source_id: str | None = "default"

    def __post_init__(self) -> None:
        self.source_type = AssessmentSourceType.standardize(self.source_type)

    def to_dictionary(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dictionary(cls, source_dict: Mapping[str, Any]) -> AssessmentSource:
        return cls(**source_dict)
