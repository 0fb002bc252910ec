"""MLflow's key strings, each spelled once: trace tags and metadata, span attributes, run tags,
registry tags and assessment metadata, as MLflow 3.18 writes them (SCHEMA.md).

Plain constants with no imports, so every layer may use them (the query parser included).
"""

# -- trace tags (`trace_tags`) -------------------------------------------------------------------

TRACE_NAME_TAG = "mlflow.traceName"
LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
ARTIFACT_LOCATION_TAG = "mlflow.artifactLocation"
SPANS_LOCATION_TAG = "mlflow.trace.spansLocation"
ARCHIVE_LOCATION_TAG = "mlflow.trace.archiveLocation"
ARCHIVAL_FAILURE_TAG = "mlflow.trace.archivalFailure"
EVAL_REQUEST_TAG = "mlflow.eval.requestId"

# -- trace metadata (`trace_request_metadata`) ---------------------------------------------------

SOURCE_RUN_METADATA = "mlflow.sourceRun"
SESSION_METADATA = "mlflow.trace.session"
TRACE_USER_METADATA = "mlflow.trace.user"
TOKEN_USAGE_METADATA = "mlflow.trace.tokenUsage"
COST_METADATA = "mlflow.trace.cost"
MODEL_ID_METADATA = "mlflow.modelId"
INPUTS_METADATA = "mlflow.traceInputs"
OUTPUTS_METADATA = "mlflow.traceOutputs"
SCHEMA_VERSION_METADATA = "mlflow.trace_schema.version"
SIZE_BYTES_METADATA = "mlflow.trace.sizeBytes"
SIZE_STATS_METADATA = "mlflow.trace.sizeStats"
INFO_FINALIZED_METADATA = "mlflow.trace.infoFinalized"

# -- span attributes (JSON text inside `spans.content`) ------------------------------------------

INPUTS_KEY = "mlflow.spanInputs"
OUTPUTS_KEY = "mlflow.spanOutputs"
SPAN_TYPE_KEY = "mlflow.spanType"
TRACE_REQUEST_ID_KEY = "mlflow.traceRequestId"
FUNCTION_NAME_KEY = "mlflow.spanFunctionName"
LOG_LEVEL_KEY = "mlflow.spanLogLevel"
DESCRIPTION_KEY = "mlflow.spanDescription"
TOKEN_USAGE_KEY = "mlflow.chat.tokenUsage"
CHAT_MESSAGES_KEY = "mlflow.chat.messages"
CHAT_TOOLS_KEY = "mlflow.chat.tools"
MESSAGE_FORMAT_KEY = "mlflow.message.format"
MODEL_KEY = "mlflow.llm.model"
PROVIDER_KEY = "mlflow.llm.provider"
LLM_COST_KEY = "mlflow.llm.cost"
#: A streamed agent's events: `mlflow.chunk.item.<n>` holding `mlflow.chunk.value`.
CHUNK_EVENT = "mlflow.chunk.item.{index}"
CHUNK_VALUE_KEY = "mlflow.chunk.value"

# -- run tags (`tags`) ---------------------------------------------------------------------------

USER_TAG = "mlflow.user"
RUN_NAME_TAG = "mlflow.runName"
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"
GIT_BRANCH_TAG = "mlflow.source.git.branch"
GIT_COMMIT_TAG = "mlflow.source.git.commit"
GIT_REPO_URL_TAG = "mlflow.source.git.repoURL"
PARENT_RUN_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"
RUN_TYPE_TAG = "mlflow.runType"
AGENT_FUNCTION_TAG = "mlflow.genaiEvaluate.agent.function"
AGENT_DIGEST_TAG = "mlflow.genaiEvaluate.agent.digest"
SCORERS_DIGEST_TAG = "mlflow.genaiEvaluate.scorersDigest"

# -- registry tags (registered models, their versions, logged models) ---------------------------

IS_PROMPT_TAG = "mlflow.prompt.is_prompt"
PROMPT_TEXT_TAG = "mlflow.prompt.text"
MODEL_VERSIONS_TAG = "mlflow.modelVersions"

# -- assessment metadata -------------------------------------------------------------------------

ASSESSMENT_SOURCE_RUN_KEY = "mlflow.assessment.sourceRunId"
SCORER_DIGEST_KEY = "mlflow.assessment.scorerDigest"
