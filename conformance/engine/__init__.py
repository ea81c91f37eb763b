"""The run engine: the one orchestration under every front end."""
