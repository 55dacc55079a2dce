"""One run: storm expansion, the SimPy simulation, the session, trace, outcomes and metrics."""
