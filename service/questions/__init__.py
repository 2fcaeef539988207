"""Each question as a plain function over the resolver and the pure packages. HTTP (service/api),
the CLI, the web page and MCP are thin doors to these functions."""
