"""`SpanStatus` and `SpanStatusCode`: how a span ended (MLflow's `mlflow.entities.SpanStatus`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

_OTEL_PREFIX = "STATUS_CODE_"


class SpanStatusCode(StrEnum):
    """OpenTelemetry's status codes. A `str` enum: `code == "OK"` holds for `SpanStatusCode.OK`."""

    UNSET = "UNSET"
    OK = "OK"
    ERROR = "ERROR"

    def to_otel_proto_status_code_name(self) -> str:
        """The name OTel's protobuf and MLflow's span JSON use: `STATUS_CODE_OK`."""
        return _OTEL_PREFIX + self.value

    @staticmethod
    def from_otel_proto_status_code_name(status_code_name: str) -> SpanStatusCode:
        """`STATUS_CODE_OK` → `SpanStatusCode.OK` (ValueError for any other name)."""
        if not status_code_name.startswith(_OTEL_PREFIX):
            raise ValueError(f"Invalid status code name: {status_code_name}.")
        return SpanStatusCode(status_code_name.removeprefix(_OTEL_PREFIX))


@dataclass
class SpanStatus:
    """A span's status code and, for an error, its description.

    `status_code` may be given as a string (`"OK"`, `"ERROR"`, `"UNSET"`), as in MLflow.
    """

    status_code: SpanStatusCode
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.status_code, SpanStatusCode):
            try:
                self.status_code = SpanStatusCode(self.status_code)
            except ValueError:
                valid = [code.value for code in SpanStatusCode]
                raise ValueError(
                    f"{self.status_code} is not a valid SpanStatusCode value. "
                    f"Please use one of {valid}"
                ) from None
