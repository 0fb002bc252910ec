"""MLflow's `mlflow.types`: the request and response types of agents (`core.types.responses`)."""
