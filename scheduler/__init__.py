"""Scheduled jobs (reminders, elder-care prompts, digests) will live here."""
