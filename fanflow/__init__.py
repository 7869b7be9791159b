"""fanflow: cluster glue shared by the services (config, routing, gRPC plumbing, CLI)."""
