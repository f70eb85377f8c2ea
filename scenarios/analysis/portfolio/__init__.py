"""``futures portfolio``: robust lever portfolios under a budget (docs/portfolio.md)."""
