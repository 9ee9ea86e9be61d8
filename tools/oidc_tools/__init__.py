"""Developer and operator tools: the docker-free local stack and the admin command (never deployed)."""
