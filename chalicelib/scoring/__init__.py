"""三比 contribution scoring: rules as data, an append-only points ledger with approvals and public notice,
member totals and unit rankings kept in the approving transaction."""
