"""Names vulture cannot see being used, each with why (`make lint` runs vulture with this file).

Vulture reads the code as text: a name called by a framework (Qt, LangChain, SQLAlchemy,
pytest, the enum machinery), kept for MLflow's API, or read by MLflow's own JSON looks unused
to it. Everything else it reports is dead code and goes.
"""

# ruff: noqa: B018, F821 - bare names are how vulture's allowlists mention them
from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# -- Qt calls these overrides and keeps these references ------------------------------------------
_.eventFilter  # QObject.eventFilter (app/evaluations/look.py, app/file_drops.py)
_.create_module  # importlib.abc.Loader.create_module (app/evaluations/scorer_files.py)
_.expandingDirections  # QLayout (app/explorer/flow.py)
_.hasHeightForWidth  # QLayout (app/explorer/flow.py)
_.loadResource  # QTextBrowser (app/messages/browser.py)
_.highlightBlock  # QSyntaxHighlighter (app/prompts/highlighter.py)
_._highlighter  # a QSyntaxHighlighter lives as long as its document's owner references it
_.features  # QStyleOptionViewItem.features, read by the style (app/spans/delegate.py)
_.backgroundBrush  # QStyleOptionViewItem.backgroundBrush, painted by the style (delegate.py)
_.contextMenuEvent  # QWidget.contextMenuEvent (app/traces/view.py)
_.wheelEvent  # QWidget.wheelEvent (app/spans/flame.py)
_.focusNextPrevChild  # QWidget.focusNextPrevChild (app/labeling/review.py)
_.mouseMoveEvent  # QWidget.mouseMoveEvent (app/spans/flame.py)
_.mouseClickEvent  # pyqtgraph ViewBox.mouseClickEvent (app/insights/charts.py)
_.mouseDragEvent  # pyqtgraph ViewBox.mouseDragEvent (app/insights/charts.py)

# -- LangChain calls its callback handler's hooks (core/langchain/handler.py) ----------------------
_.run_inline
_.on_chat_model_start
_.on_llm_start
_.on_llm_new_token
_.on_llm_end
_.on_llm_error
_.on_chain_start
_.on_chain_end
_.on_chain_error
_.on_agent_action
_.on_agent_finish
_.on_tool_start
_.on_tool_end
_.on_tool_error
_.on_retriever_start
_.on_retriever_end
_.on_retriever_error
_.on_text
_.on_retry

# -- SQLAlchemy calls the dialect compilers registered with @compiles (core/store/dialect.py) -----
_.inherit_cache
_like_default
_like_sqlite
_ilike_default
_ilike_postgresql
_contains_text_default
_contains_text_sqlite
_json_member_sqlite
_json_member_postgresql
_event_attribute_sqlite
_event_attribute_postgresql
_span_attribute_sqlite  # core/store/span_payloads.py
_span_attribute_postgresql
_trace_spans_default
_trace_spans_sqlite
_json_valid_default
_json_valid_sqlite
_json_valid_postgresql
_insertion_order_default
_insertion_order_sqlite
_insertion_order_postgresql
_.isolation_level  # set on the DBAPI connection for SQLite (core/store/connection.py)
_.text_factory  # set on the DBAPI connection for SQLite (core/store/connection.py)
_.is_disconnect  # set in a handle_error listener: SQLAlchemy drops the pool (connection.py)

# -- Python calls these ---------------------------------------------------------------------------
__getattr__  # module __getattr__: `core.langchain` loads on first use (core/__init__.py)
_._missing_  # Enum hook: CategoricalRating("YES") (core/evaluation/judges/verdicts.py)
_.__wrapped__  # functools/inspect follow it to the scorer's function (core/evaluation/scorer.py)

# -- MLflow's API: names user code reads or MLflow's JSON carries --------------------------------
_.set_span_type  # LiveSpan.set_span_type
_.creation_timestamp  # PromptVersion.creation_timestamp
_.pandas_dataframe_columns  # Trace.pandas_dataframe_columns
_.to_json_bytes  # TraceData.to_json_bytes
tool_choice  # ResponsesAgentRequest / Response fields (core/agents/responses.py)
truncation
max_output_tokens
parallel_tool_calls
temperature
top_p
incomplete_details
previous_response_id
SOURCE_TYPE_UNSPECIFIED  # AssessmentSourceType
CRITICAL  # SpanLogLevel
EMBEDDING  # SpanType members
MEMORY
WORKFLOW
TASK
GUARDRAIL
EVALUATOR
KNOWN_SPAN_TYPES
TRACE_LOCATION_TYPE_UNSPECIFIED  # TraceLocationType members and TraceLocation fields
INFERENCE_TABLE
UC_SCHEMA
UC_TABLE_PREFIX
inference_table
uc_schema
uc_table_prefix
IN_PROGRESS  # TraceState / TraceStatus

# -- pytest and the standard library call these in the tests -------------------------------------
pytest_plugins
application_names  # autouse fixtures
low_limit
no_dangling_threads
restore_app_state
no_trace_writer
owners  # tests/app/replay/test_batch_dialog.py: closes the dialogs a test opened
first_ms  # SessionRow's, read through dataclasses.asdict (core.insights.session_stats)
no_libpq_password
pg_template  # fixtures asked for by name
tracking_demo
run_manager  # a LangChain callback argument a test's fake model accepts
daemon_threads  # socketserver.ThreadingMixIn (tests/ollama_server.py)
protocol_version  # http.server.BaseHTTPRequestHandler
block_on_close  # socketserver.ThreadingMixIn (core/otlp/server.py)
server_version  # http.server.BaseHTTPRequestHandler (core/otlp/server.py)
request_queue_size  # socketserver.TCPServer's listen backlog (core/otlp/server.py)
tb  # the traceback argument of __exit__
ans  # the tutorial notebook's own variable names (tests/interop/tutorial_notebook.py)
_.row_factory  # sqlite3.Connection.row_factory
_._get_relevant_documents  # LangChain BaseRetriever hook (a test's retriever)
_.log_message  # http.server.BaseHTTPRequestHandler hooks (tests/ollama_server.py)
_.do_HEAD
_.do_GET
_.do_POST
_.close_connection
_.optionxform  # configparser.ConfigParser hook (tests/packaging/test_linux_files.py)
