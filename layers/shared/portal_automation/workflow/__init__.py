"""The workflow's steps: one function per state machine Task, called by thin handlers."""
