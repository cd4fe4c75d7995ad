package sources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// fingerprint is fetchFingerprint of f's configuration. Computed at each
// use: it costs next to nothing beside the fetch it goes with.
func (f *Fetcher) fingerprint() string { return fetchFingerprint(f.cfg) }

// fetchFingerprint is a short hash of what in cfg decides whether a fetch
// can succeed: hosts allowed, timeouts, sizes, retries. A failing
// source's State keeps the fingerprint it failed under; a different one
// ends its back-off (see Fetcher.poll). Test seams and the redactor are
// left out: they change no outcome worth retrying for.
func fetchFingerprint(cfg FetchConfig) string {
	b, err := json.Marshal(struct {
		UserAgent               string
		Timeout, ConnectTimeout int64
		MaxBody                 int64
		Retries, PerHost        int
		MaxBackoff              int64
		AllowHosts              []string
	}{cfg.UserAgent, int64(cfg.Timeout), int64(cfg.ConnectTimeout), cfg.MaxBody, cfg.Retries, cfg.PerHost, int64(cfg.MaxBackoff), cfg.AllowHosts})
	if err != nil {
		panic(err) // strings and numbers always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
