"""The application: configuration, the command line, the service and the two chat adapters.

config, sections   the one place the file and the environment are read
cli/               the ``newsdigest`` command
service            the scheduler and its jobs, started and stopped in order
chat               the configured chat adapters and the sender that delivers through them
telegram_bot       Telegram: updates in, replies and outbox parts out
slack_bot          Slack: the /news command, buttons and App Home in; parts out
commands/          the chat commands, one table, platform-neutral replies
ops, logs          /healthz and /metrics; logs with context, never a secret
"""
