"""``futures portfolio``: the command's name, usage, check and job."""

from scenarios.engine.command import Functions, analysis_command

USAGE = """\
usage: futures portfolio [KEY=VALUE ...] [hydra.run.dir=DIR]

Searches lever portfolios (all six levers in [0, 1]) with NSGA-II (pymoo) under a budget:
every candidate runs every chosen future on the same members and event draws (common random
numbers); objectives are, per area, the bad-luck outcome (a low quantile over every simulated
world) and the cost. Writes into the run directory portfolios.nc (cost(portfolio),
lever_setting(portfolio, lever), the objectives per portfolio and area, the budget),
portfolios.csv, portfolios.md (plain words) and portfolios.png/.svg (the Pareto front).
Prints the run directory as the last line. Takes every `futures run` key and:

  portfolio.budget=EUR_M        yearly budget (default null: the 2021 total of study.costs)
  portfolio.members=N           members per future per candidate (default 48)
  portfolio.population=N        NSGA-II population (default 24)
  portfolio.generations=N       NSGA-II generations (default 10)
  portfolio.quantile=Q          the bad-luck outcome's quantile over worlds (default 0.1)
  portfolio.year=YEAR           judge at this time point (default time.end)

examples:
  futures portfolio
  futures portfolio portfolio.budget=350 portfolio.generations=20
"""


def _functions() -> Functions:
    from scenarios.analysis.portfolio.compute import check_config, portfolio_job

    return portfolio_job, check_config


COMMAND = analysis_command("portfolio", USAGE, _functions)
