"""Integration health: what each process measures (metrics), whether it can work (checks), and the
small HTTP server that shows both (`/metrics`, `/health/live`, `/health/ready`)."""
