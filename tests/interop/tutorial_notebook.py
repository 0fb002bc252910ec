# MLflow's GenAI tutorial (../shared/tutorial/mlflow-genai-tutorial.txt), cell by cell, with the
# only edits a user makes to run it on TraceDesk: `import core as mlflow` for `import mlflow`,
# and `from core.X import ...` for `from mlflow.X import ...`. The notebook's shell magics are
# written as the Python they stand for (`!rm -f` -> unlink, `%%writefile` -> write_text), and
# its fixed /tmp paths come from the runner as DB and CODE (a test's own temporary files).
# tests/interop/test_tutorial_notebook.py runs every cell in one process and checks its result.
# ruff: noqa: B018, E402, F821 - notebook cells: bare expressions, late imports, runner names

# %% set-up
import logging

from langchain_ollama import ChatOllama

import core as mlflow

logging.getLogger("alembic").setLevel("WARNING")
logging.getLogger("mlflow").setLevel("WARNING")

DB.unlink(missing_ok=True)  # !rm -f /tmp/llm_mlflow.db
mlflow.set_registry_uri(f"sqlite:///{DB}")
mlflow.set_tracking_uri(f"sqlite:///{DB}")
chat = ChatOllama(model="llama3.2:1b", temperature=0)

# %% autolog
mlflow.langchain.autolog()
ans = chat.invoke("Hello how are you?")

# %% search_traces
traces = mlflow.search_traces()
traces

# %% get_trace
trace_obj = mlflow.get_trace(traces["trace_id"].iloc[0])

# %% trace info
trace_obj.info

# %% trace data
trace_obj.data

# %% set_experiment
ans = mlflow.set_experiment("custom_tracing")

# %% start_span
with mlflow.start_span() as span:
    span.set_inputs("Input request")
    span.set_attribute("hello", "new_value")
    span.set_outputs("Span outputs")


# %% trace decorator
@mlflow.trace
def some_tracing(inp: str) -> str:
    return f"<extra information>{inp}<the data>"


some_tracing("hello")

# %% span of the decorated call
trace_id = mlflow.search_traces()["trace_id"].iloc[0]
trace = mlflow.get_trace(trace_id=trace_id)

span = trace.data.spans[0]
print(f"{span.inputs} -> {span.outputs}")

# %% span types
from core.entities import SpanType


@mlflow.trace(name="my_span", span_type=SpanType.LLM, attributes={"attr1": "value1"})
def llm_span(input: str) -> str:
    return "some value"


@mlflow.trace(span_type=SpanType.RERANKER)
def reranker_span(input: str) -> str:
    return "output of rerunker span"


with mlflow.start_span(span_type="custom span", name="my_cool_span"):
    llm_span("input")
    reranker_span("reranker span input")

# %% inputs and outputs
from core.entities import SpanType

with mlflow.start_span(name="my_span", span_type=SpanType.LLM) as span:
    span.set_inputs("The input")
    span.set_outputs("The output")

# %% chat messages
with mlflow.start_span(name="my_span", span_type=SpanType.LLM) as span:
    span.set_inputs(
        [
            {"role": "system", "content": "System prompt"},
            {"role": "user", "content": "Hello how are you"},
        ]
    )
    span.set_outputs(
        [
            {"role": "assistant", "content": "Answer of the model"},
            {"role": "tool", "content": "The tool call"},
        ]
    )

# %% nested spans
with mlflow.start_span(name="outer_span") as outer_span:
    outer_span.set_inputs("data of outer span")
    with mlflow.start_span(name="innder_span") as inner_span:
        inner_span.set_inputs("data of inner span")

# %% evaluate
from langchain.messages import AIMessage

from core.genai import scorer

mlflow.set_experiment("evaluation_test")

eval_dataset = [
    {
        "inputs": {"question": "What is the Scotland's national animal?"},
        "expectations": {"expected_response": "Unicorn"},
    },
    {
        "inputs": {"question": "Who was the first person to build an airplane?"},
        "expectations": {"expected_response": "Wright Brothers"},
    },
    {
        "inputs": {"question": "Who wrote Romeo and Juliet?"},
        "expectations": {"expected_response": "William Shakespeare"},
    },
]


def predict_fn(question: str) -> AIMessage:
    return chat.invoke(question)


@scorer
def some_check(outputs: AIMessage) -> bool:
    return len(outputs.content) < 10


mlflow.genai.evaluate(data=eval_dataset, predict_fn=predict_fn, scorers=[some_check])

# %% custom scorer
from langchain_core.messages import AIMessage


@mlflow.genai.scorer
def exp_out(inputs: dict, expectations: dict, outputs: str, trace: mlflow.entities.Trace) -> bool:
    print("=" * 80)
    print("Inputs:", inputs)
    print("Expectations:", expectations)
    print("Outputs:", outputs)
    print("Trace:", type(trace))
    print("=" * 80)
    return True


mlflow.set_experiment("evaluation_test")


with mlflow.start_span(name="This trace"):
    mlflow.genai.evaluate(
        data=[{"inputs": {"inp": "inputs value"}, "expectations": {"exp": "expectations value"}}],
        predict_fn=lambda inp: "ouputs value",
        scorers=[exp_out],
    )

# %% register_prompt
mlflow.genai.register_prompt(
    name="knowledge_prompt", template="This is my prompt", commit_message="Initial prompt"
)

# %% register_prompt again
mlflow.genai.register_prompt(name="knowledge_prompt", template="Updated version of the prompt")

# %% load_prompt version 1
mlflow.genai.load_prompt("prompts:/knowledge_prompt/1")

# %% load_prompt version 2
prompt = mlflow.genai.load_prompt("prompts:/knowledge_prompt/2")
prompt

# %% format
prompt.format()

# %% writefile agent
CODE.write_text(  # %%writefile /tmp/some_code.py
    """
from core.models import set_model
from core.entities import SpanType
from core.pyfunc import ResponsesAgent
from core.types.responses import ResponsesAgentRequest, ResponsesAgentResponse


class SimpleResponsesAgent(ResponsesAgent):
    def predict(self, request: ResponsesAgentRequest) -> ResponsesAgentResponse:
        return ResponsesAgentResponse(
            output=[
                self.create_text_output_item(
                    text="The result of 4 * 3 in Python is 12.",
                    id="msg_1",
                )
            ]
        )

set_model(SimpleResponsesAgent())
"""
)

# %% log_model
with mlflow.start_run():
    mlflow.pyfunc.log_model(python_model=str(CODE), name="agent", registered_model_name="agent")

# %% load_model
model = mlflow.pyfunc.load_model("models:/agent@latest")
model.predict(
    {
        "input": [{"role": "user", "content": "what is 4*3 in python"}],
        "context": {"conversation_id": "123", "user_id": "456"},
    }
)
