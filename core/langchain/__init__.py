"""LangChain autologging: every LangChain run becomes a span, as MLflow 3.18's autolog records it.

    import core
    import core.langchain

    core.langchain.autolog()
    ChatOllama(model="llama3.2:1b").invoke("Hello how are you?")  # one CHAT_MODEL trace

Chat models become CHAT_MODEL spans (inputs and outputs in OpenAI chat format, model, provider,
token usage, tools, one `new_token` event per streamed token), chains CHAIN spans, tools TOOL
spans, retrievers RETRIEVER spans and plain LLMs LLM spans, nested by LangChain's parent runs.
A LangChain call made inside `core.start_span` / `@core.trace` nests under that span, and spans
opened while a LangChain run executes (a tool body, say) nest under the run's span.

How the handler gets in: each time LangChain sets up the callbacks of a run it asks every
registered "configure hook" for a handler (`langchain_core.tracers.context`). `autolog()`
registers one hook, once per process, that hands out our handler while autolog is on. MLflow
patches `BaseCallbackManager.__init__` instead; a hook needs no patching and, unlike a
ContextVar set in one thread, answers the same in every thread.

The span shapes copy MLflow 3.18's `MlflowLangchainTracer` and were compared span by span with
traces real MLflow recorded of the same LangChain calls.
"""

from core.langchain.handler import CoreLangchainTracer
from core.langchain.install import autolog
from core.langchain.messages import (
    chat_inputs,
    chat_message,
    chat_outputs,
    chat_tools,
    model_attributes,
    token_usage,
)

__all__ = [
    "CoreLangchainTracer",
    "autolog",
    "chat_inputs",
    "chat_message",
    "chat_outputs",
    "chat_tools",
    "model_attributes",
    "token_usage",
]
