"""Background work of the evaluation: opening rounds and inviting, the one reminder to non-respondents."""
