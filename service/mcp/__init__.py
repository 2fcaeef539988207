"""The MCP server (the optional extra `wincompat[mcp]`): tools that ask the same questions as
the HTTP API, in-process or against a running service (`--url`)."""
