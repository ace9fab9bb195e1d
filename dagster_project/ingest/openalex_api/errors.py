"""Why an API fetch stopped. Each is raised with what was fetched still checkpointed, so the next run resumes."""


class ApiFetchError(RuntimeError):
    """The fetch stopped; what was fetched is checkpointed and the next run resumes."""


class BudgetExhausted(ApiFetchError):
    """OpenAlex's daily budget for this API key is spent."""


class ApiAuthError(ApiFetchError):
    """The API key is missing or was refused."""


class QueryRejected(ApiFetchError):
    """OpenAlex answered 400 to a query (bad filter, or a cursor it no longer accepts)."""
