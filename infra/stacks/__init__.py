"""infra/ stacks: the CDK constructs of the service (run with infra/.venv)."""
