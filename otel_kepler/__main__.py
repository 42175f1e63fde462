"""`python -m otel_kepler` runs the CLI."""

from otel_kepler.cli import main

raise SystemExit(main())
