"""Entry points other than the console: Secrets Manager rotation and EventBridge events."""
