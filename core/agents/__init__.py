"""Agents: MLflow's ResponsesAgent, "models from code" logging and loading, and an isolated runner.

    core.log_model(python_model="agent.py", name="agent", registered_model_name="agent")
    model = core.load_model("models:/agent@latest")
    model.predict({"input": [{"role": "user", "content": "Hi"}]})

`core.agents.runner.AgentRunner` runs a model in a child process (possibly another virtualenv,
e.g. one with MLflow) and talks to it over JSON lines. This package imports nothing heavy, so
`core.store.models` may use `core.agents.mlmodel` without a cycle.
"""
