"""The Agents page: registered agents, their versions and files, and a chat with a loaded one.

The agent runs in a child process (`core.agents.runner.AgentRunner`); the page never imports
its code. `page.AgentsPage` composes the list, the details, the runner bar, the chat and the
log; `session.AgentSession` owns the runner and moves every call off the GUI thread.
"""
