"""Planning: candidate support measures, a planner that chooses the portfolio minimising a concentration risk for
a budget (a mixed-integer programme on HiGHS), and its risk-versus-budget frontier (issue #18)."""
