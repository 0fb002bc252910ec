"""The Responses API types of `ResponsesAgent` (MLflow's `mlflow.types.responses`)."""

from core.agents.responses import (
    ResponsesAgentRequest,
    ResponsesAgentResponse,
    ResponsesAgentStreamEvent,
)

__all__ = ["ResponsesAgentRequest", "ResponsesAgentResponse", "ResponsesAgentStreamEvent"]
