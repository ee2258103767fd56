"""An agent host, as Claude Desktop or an IDE runs an MCP server: it starts the server's command
over stdio with the `mcp` SDK, lists its tools, and calls Jira tools (get an issue, search) for
a while. Run by tests/cases/proxy_clients.rs with `jira-auth proxy -- mcp-atlassian` as the
server; prints one JSON summary on stdout: the tools, the calls made, those that failed.

  AGENT_COMMAND   the server's program (jira-auth)
  AGENT_ARGS      its arguments, one per line (proxy, --, mcp-atlassian)
  AGENT_SECONDS   how long to keep calling
The server gets this environment without the AGENT_ variables.
"""

import asyncio
import json
import os
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def text_of(result):
    return "".join(getattr(c, "text", "") for c in result.content)


async def main():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    params = StdioServerParameters(
        command=os.environ["AGENT_COMMAND"],
        args=os.environ["AGENT_ARGS"].split("\n"),
        env=env,
    )
    seconds = float(os.environ["AGENT_SECONDS"])
    calls, failed, issue, found = 0, [], None, None
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for name, args in [
                    ("jira_get_issue", {"issue_key": "DEMO-2"}),
                    ("jira_search", {"jql": "project = DEMO ORDER BY key ASC", "limit": 3}),
                ]:
                    result = await session.call_tool(name, args)
                    calls += 1
                    text = text_of(result)
                    if result.isError:
                        failed.append({"tool": name, "text": text[:500]})
                        continue
                    try:
                        data = json.loads(text)
                    except ValueError:
                        failed.append({"tool": name, "text": text[:500]})
                        continue
                    if name == "jira_get_issue":
                        issue = {"key": data.get("key"), "summary": data.get("summary")}
                    else:
                        found = [i.get("key") for i in data.get("issues", [])]
                await asyncio.sleep(0.2)
    print(json.dumps({"tools": tools, "calls": calls, "failed": failed,
                      "issue": issue, "search": found}), flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
