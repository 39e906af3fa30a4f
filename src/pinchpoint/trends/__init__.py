"""Supply and demand trends: monthly indicators, their cycle, forecasts with honest backtests and early warning."""
