"""One round of what a script does with Jira, through a client no one here wrote: server info,
who am I, a search, an issue, a new issue, a comment on it, an edit of it. Run by
tests/cases/jira_clients.rs against the emulator's rehearsal Jira; prints one JSON object per
step on stdout, which the test reads.

The credential comes in the environment, never on the command line:
  JIRA_TEST_CLIENT      pycontribs | atlassian
  JIRA_TEST_DEPLOYMENT  cloud | dc
  JIRA_TEST_URL         the REST root (the gateway's /ex/jira/CLOUD_ID, a site, a DC base URL)
  JIRA_TEST_TOKEN       a Bearer token (OAuth, PAT), or with JIRA_TEST_EMAIL an API token (Basic)
"""

import json
import os
import sys


def out(step, **values):
    print(json.dumps({"step": step, **values}), flush=True)


def adf(text):
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


def pycontribs(url, token, email, cloud):
    from jira import JIRA

    if email:
        jira = JIRA(server=url, basic_auth=(email, token))
    else:
        jira = JIRA(server=url, token_auth=token)
    info = jira.server_info()
    out("server_info", deploymentType=info["deploymentType"], is_cloud=jira._is_cloud)
    out("myself", displayName=jira.myself()["displayName"])
    found = jira.search_issues("project = DEMO ORDER BY key ASC", maxResults=3)
    out("search", keys=[i.key for i in found])
    issue = jira.issue("DEMO-2")
    out("issue", key=issue.key, summary=issue.fields.summary,
        status=issue.fields.status.name, assignee=issue.fields.assignee.displayName)
    created = jira.create_issue(project="OPS", summary="Made by pycontribs",
                                issuetype={"name": "Task"}, description="Line one\nLine two",
                                labels=["client"])
    out("create", key=created.key, description=created.fields.description)
    comment = jira.add_comment(created, "A comment from pycontribs")
    out("comment", body=comment.body, author=comment.author.displayName)
    created.update(summary="Edited by pycontribs")
    again = jira.issue(created.key)
    out("edit", summary=again.fields.summary,
        comments=[c.body for c in again.fields.comment.comments])
    found = jira.search_issues(f"key = {created.key}")
    out("search_new", keys=[i.key for i in found])


def atlassian(url, token, email, cloud):
    if cloud:
        from atlassian.jira import JiraCloud

        if email:
            jira = JiraCloud(url, username=email, password=token)
        else:
            jira = JiraCloud(url, token=token)
        info = jira.get_server_info()
        out("server_info", deploymentType=info["deploymentType"])
        out("myself", displayName=jira.get_current_user()["displayName"])
        found = jira.enhanced_jql("project = DEMO ORDER BY key ASC", fields="summary", limit=3)
        out("search", keys=[i["key"] for i in found["issues"]])
        issue = jira.get_issue("DEMO-2")
        out("issue", key=issue["key"], summary=issue["fields"]["summary"],
            status=issue["fields"]["status"]["name"],
            assignee=issue["fields"]["assignee"]["displayName"])
        created = jira.create_issue(data={"fields": {
            "project": {"key": "OPS"}, "summary": "Made by atlassian-python-api",
            "issuetype": {"name": "Task"}, "description": adf("Line one"), "labels": ["client"]}})
        got = jira.get_issue(created["key"])
        out("create", key=created["key"],
            description=got["fields"]["description"]["content"][0]["content"][0]["text"])
        comment = jira.add_comment(created["key"], data={"body": adf("A comment from atlassian-python-api")})
        out("comment", body=comment["body"]["content"][0]["content"][0]["text"],
            author=comment["author"]["displayName"])
        jira.edit_issue(created["key"], data={"fields": {"summary": "Edited by atlassian-python-api"}})
        again = jira.get_issue(created["key"])
        out("edit", summary=again["fields"]["summary"],
            comments=[c["body"]["content"][0]["content"][0]["text"]
                      for c in again["fields"]["comment"]["comments"]])
        found = jira.enhanced_jql(f"key = {created['key']}", fields="key")
        out("search_new", keys=[i["key"] for i in found["issues"]])
    else:
        from atlassian import Jira

        jira = Jira(url, token=token)
        info = jira.get_server_info()
        out("server_info", deploymentType=info["deploymentType"])
        out("myself", displayName=jira.myself()["displayName"])
        found = jira.jql("project = DEMO ORDER BY key ASC", fields="summary", limit=3)
        out("search", keys=[i["key"] for i in found["issues"]], total=found["total"])
        issue = jira.issue("DEMO-2")
        out("issue", key=issue["key"], summary=issue["fields"]["summary"],
            status=issue["fields"]["status"]["name"],
            assignee=issue["fields"]["assignee"]["displayName"])
        created = jira.issue_create(fields={
            "project": {"key": "OPS"}, "summary": "Made by atlassian-python-api",
            "issuetype": {"name": "Task"}, "description": "Line one", "labels": ["client"]})
        got = jira.issue(created["key"])
        out("create", key=created["key"], description=got["fields"]["description"])
        comment = jira.issue_add_comment(created["key"], "A comment from atlassian-python-api")
        out("comment", body=comment["body"], author=comment["author"]["displayName"])
        jira.update_issue_field(created["key"], {"summary": "Edited by atlassian-python-api"})
        again = jira.issue(created["key"])
        out("edit", summary=again["fields"]["summary"],
            comments=[c["body"] for c in again["fields"]["comment"]["comments"]])
        found = jira.jql(f"key = {created['key']}", fields="key")
        out("search_new", keys=[i["key"] for i in found["issues"]])


def main():
    client = os.environ["JIRA_TEST_CLIENT"]
    cloud = os.environ["JIRA_TEST_DEPLOYMENT"] == "cloud"
    url, token = os.environ["JIRA_TEST_URL"], os.environ["JIRA_TEST_TOKEN"]
    email = os.environ.get("JIRA_TEST_EMAIL")
    {"pycontribs": pycontribs, "atlassian": atlassian}[client](url, token, email, cloud)


if __name__ == "__main__":
    sys.exit(main())
