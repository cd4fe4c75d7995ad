package app

import (
	"fmt"
	"io"
	"log/slog"
)

// Check is herald check: it validates the configuration without
// collecting anything. env may be nil (a run of its own).
func Check(env *Env, cfgPath string, stdout io.Writer) error {
	cfg, err := envOr(env).loadConfig(cfgPath)
	if err != nil {
		return err
	}
	// Building the pipeline also builds every source, which checks what
	// only the sources know (CSS selectors, trailer patterns) without
	// collecting anything.
	if _, err := newPipeline(cfg, slog.New(slog.DiscardHandler), nil, nil, nil); err != nil {
		return err
	}
	if err := cfg.CheckFolders(); err != nil {
		return ConfigError{err}
	}
	fmt.Fprintf(stdout, "%s: ok (%d sources, %d feeds)\n", cfg.Path, len(cfg.Sources), len(cfg.Feeds))
	return nil
}
