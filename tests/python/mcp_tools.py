"""mcp-atlassian's Jira tools, called as an agent host calls them: mcp-atlassian started over
stdio by the `mcp` SDK, its tools listed, then get-issue, search, create, comment, update, a
transition and the boards called. Run by tests/cases/jira_clients.rs against the emulator's
rehearsal Jira; prints one JSON object per call on stdout.

mcp-atlassian reads its configuration from the environment (JIRA_URL, JIRA_PERSONAL_TOKEN or
JIRA_USERNAME and JIRA_API_TOKEN), which this script hands on as it got it: nothing secret on
a command line.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

KEPT = ("JIRA_URL", "JIRA_PERSONAL_TOKEN", "JIRA_USERNAME", "JIRA_API_TOKEN", "PATH", "HOME")

CALLS = [
    ("jira_get_issue", {"issue_key": "DEMO-2"}),
    ("jira_search", {"jql": "project = DEMO ORDER BY key ASC", "limit": 3}),
    ("jira_create_issue", {"project_key": "OPS", "summary": "Made by mcp-atlassian",
                           "issue_type": "Task", "description": "An agent's issue"}),
    ("jira_add_comment", {"issue_key": "OPS-1", "body": "A comment from mcp-atlassian"}),
    ("jira_update_issue", {"issue_key": "OPS-1", "fields": json.dumps({"summary": "Edited by mcp-atlassian"})}),
    ("jira_get_transitions", {"issue_key": "DEMO-3"}),
    ("jira_transition_issue", {"issue_key": "DEMO-3", "transition_id": "31"}),
    ("jira_get_agile_boards", {"project_key": "OPS"}),
]


async def main():
    venv = os.path.dirname(os.path.dirname(sys.executable))
    env = {k: v for k, v in os.environ.items() if k in KEPT}
    env["TOOLSETS"] = "all"
    server = StdioServerParameters(command=os.path.join(venv, "bin", "mcp-atlassian"), args=[], env=env)
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = [t.name for t in (await session.list_tools()).tools]
            print(json.dumps({"tools": sorted(t for t in tools if t.startswith("jira_"))}), flush=True)
            for name, arguments in CALLS:
                result = await session.call_tool(name, arguments)
                text = result.content[0].text if result.content else ""
                try:
                    value = json.loads(text)
                except ValueError:
                    value = text
                print(json.dumps({"call": name, "isError": bool(result.isError), "result": value}), flush=True)


asyncio.run(main())
