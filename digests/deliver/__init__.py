"""Deliver: digests queued in the outbox, and sent from it within each platform's limits.

queue       compose, render and queue a digest once (channels and personal digests)
sender      claim outbox parts and send them through each platform's transport
ratelimit   sliding-window send limits per chat, per group and per bot
"""
