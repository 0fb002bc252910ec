"""File → Receive OpenTelemetry…: the OTLP receiver of `core.otlp`, run from the window."""
