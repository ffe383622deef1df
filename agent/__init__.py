"""SOKRATES Agent: the LangGraph director that runs the research pipeline, asks at branch points and documents."""
