"""`core.scorers`: TraceDesk's earlier name of `core.genai.scorers` (MLflow's
`mlflow.genai.scorers`), kept for code that imports it."""

from core.genai.scorers import *  # noqa: F403
from core.genai.scorers import __all__ as __all__  # noqa: PLC0414 (re-exported)
