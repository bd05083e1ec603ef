"""Adapters to AWS services. They translate botocore errors into the project's errors."""
