"""`python -m mcp_server` serves the `miner` tools over stdio."""

from mcp_server.stdio import main

main()
