// Package app is Herald's process: what each command of cmd/herald does
// once its command line is parsed.
//
// generate collects every source once, builds the site and writes it to a
// folder (generate.go). serve runs one loop (serve.go) over a mode: alone
// (a store of its own; collect on schedule, publish each build to the
// server) or replicated (a shared PostgreSQL store; follow the leader's
// publications and collect while leading, replicated.go). Around them:
// the wiring of configuration into sources, collector and site
// (wire.go), watching files sources' folders (watch.go), telling a WebSub
// hub of changed feeds (websub.go), the status book behind /status and
// /healthz (status.go), generate's status line (progress.go), a run's
// Env: the redaction of secrets from everything it prints and its
// data_dir override (redact.go), and the commands add, preview, init,
// check and healthcheck. Nothing here is process-wide: cmd/herald makes
// an Env per invocation, so runs in one process do not share state.
//
// Its errors carry their kind (UsageError, ConfigError, ListenError,
// StoreError, OutputError); cmd/herald alone turns them into exit
// statuses and prints them. It imports every package of ours but cmd.
package app
