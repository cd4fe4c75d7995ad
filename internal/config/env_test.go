package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// withEnv makes lookupEnv see exactly vars for the test.
func withEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	old := lookupEnv
	lookupEnv = func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	t.Cleanup(func() { lookupEnv = old })
}

const webSource = `title: Demo
base_url: https://example.org/
sources:
  - name: paid
    type: feed
    url: %s
feeds:
  - name: all
    title: All
    sources: [paid]
`

func TestEnvExpansion(t *testing.T) {
	withEnv(t, map[string]string{
		"FEED_TOKEN": "S3CRET-t0ken",
		"FEED_USER":  "alice",
		"TIMEOUT":    "45s",
		"EMPTY":      "",
		"ADMIN":      "0123456789abcdef0123",
	})
	yaml := strings.Replace(webSource, "%s", `"https://${FEED_USER}@example.org/feed?token=${FEED_TOKEN}"`, 1) +
		"fetch:\n  timeout: ${TIMEOUT}\n  user_agent: \"a${EMPTY}b $${NOT_EXPANDED}\"\nadmin_token: ${ADMIN}\n"
	c, err := Parse("config.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Sources[0].URL, "https://alice@example.org/feed?token=S3CRET-t0ken"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
	if c.Fetch.Timeout != 45*time.Second {
		t.Errorf("timeout = %s, want 45s", c.Fetch.Timeout)
	}
	if got, want := c.Fetch.UserAgent, "ab ${NOT_EXPANDED}"; got != want {
		t.Errorf("user_agent = %q, want %q", got, want)
	}
	if c.AdminToken != "0123456789abcdef0123" {
		t.Errorf("admin_token = %q", c.AdminToken)
	}
}

func TestEnvExpansionErrors(t *testing.T) {
	withEnv(t, map[string]string{"BAD_URL": "not a url SECRETVALUE", "SHORT": "SECRETx"})
	tests := []struct {
		name, url, extra string
		want             string
	}{
		{"unset", `"https://example.org/?token=${FEED_TOKEN}"`, "",
			`config.yaml:6:10: sources[0].url: environment variable FEED_TOKEN is not set`},
		{"unterminated", `"https://example.org/?token=${FEED_TOKEN"`, "",
			`config.yaml:6:10: sources[0].url: unterminated ${ (write $${ for a literal ${)`},
		{"bad name", `"https://example.org/${1X}"`, "",
			`config.yaml:6:10: sources[0].url: invalid environment variable name "1X" in ${1X}`},
		// A value that fails validation is quoted as written, never
		// with what the environment put in it.
		{"invalid expanded value", `"${BAD_URL}"`, "",
			`config.yaml:6:10: sources[0].url: want an absolute http(s) URL, got "${BAD_URL}"`},
		{"short token", `https://example.org/`, "admin_token: ${SHORT}\n",
			`config.yaml:11:14: admin_token: too short: use at least 16 characters (for example from ` + "`openssl rand -hex 24`)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(strings.Replace(webSource, "%s", tt.url, 1)+tt.extra))
			if err == nil {
				t.Fatal("no error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error shows the environment's value: %s", err)
			}
		})
	}
}

func TestOperatorKeys(t *testing.T) {
	tests := []struct {
		name, extra, want string
	}{
		{"admin_listen not an address", "admin_listen: 9090\n", `admin_listen: want host:port such as "127.0.0.1:9090", got "9090"`},
		{"admin_hosts with a port", "admin_hosts: [\"herald.internal:9090\"]\n", `admin_hosts[0]: want a host name without port`},
		{"admin_hosts empty name", "admin_hosts: [\"\"]\n", `admin_hosts[0]: want a host name without port`},
		{"admin_listen same as listen", "listen: 127.0.0.1:8080\nadmin_listen: 127.0.0.1:8080\n", `admin_listen: must differ from listen`},
		{"empty redact param", "redact_params: [\"\"]\n", `redact_params[0]: want a query parameter name`},
		{"bad prefix", "fetch:\n  allow_hosts: [10.0.0.0/40]\n", `fetch.allow_hosts[0]: want a host name, an IP address or a CIDR prefix`},
		{"url as host", "fetch:\n  allow_hosts: [\"http://wiki/\"]\n", `fetch.allow_hosts[0]: want a host name, an IP address or a CIDR prefix`},
		{"host with port", "fetch:\n  allow_hosts: [\"wiki:80\"]\n", `fetch.allow_hosts[0]: want a host name without scheme or port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(strings.Replace(webSource, "%s", "https://example.org/", 1)+tt.extra))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	c, err := Parse("config.yaml", []byte(strings.Replace(webSource, "%s", "https://example.org/", 1)+
		"admin_listen: 127.0.0.1:9090\nadmin_hosts: [herald.internal]\nredact_params: [session]\nfetch:\n  allow_hosts: [wiki.corp, \"*.corp.example\", 10.0.0.0/8, \"::1\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminListen != "127.0.0.1:9090" || len(c.AdminHosts) != 1 || c.AdminHosts[0] != "herald.internal" || len(c.RedactParams) != 1 || len(c.Fetch.AllowHosts) != 4 {
		t.Errorf("parsed %+v", c)
	}
}

// TestStoreKey: "store" selects the backend; a bad value is named without
// quoting it, since a database URL may carry a password.
func TestStoreKey(t *testing.T) {
	t.Setenv("DB_URL", "postgres://herald:hunter2@db.internal:5432/herald")
	t.Setenv("BAD_DB", "mysql://herald:hunter2@db.internal/herald")
	for _, tt := range []struct {
		name, extra  string
		postgres     bool
		wantErr      string
		wantStoreVal string
	}{
		{"default", "", false, "", ""},
		{"sqlite", "store: sqlite\n", false, "", "sqlite"},
		{"postgres from the environment", "store: ${DB_URL}\n", true, "", "postgres://herald:hunter2@db.internal:5432/herald"},
		{"postgresql scheme", "store: postgresql://db/herald\n", true, "", "postgresql://db/herald"},
		{"other database", "store: ${BAD_DB}\n", false, `store: want "sqlite" or a PostgreSQL URL`, ""},
		{"no host", "store: \"postgres://\"\n", true, "store: not a valid PostgreSQL URL", ""},
		{"lease", "store: ${DB_URL}\nreplica_lease: 30s\n", true, "", "postgres://herald:hunter2@db.internal:5432/herald"},
		{"lease without replicas", "replica_lease: 30s\n", false, "config.yaml:11:16: replica_lease: applies only to a PostgreSQL store", ""},
		{"lease too short", "store: ${DB_URL}\nreplica_lease: 2s\n", true, "replica_lease: want 5s to 10m0s, got 2s", ""},
		{"lease too long", "store: ${DB_URL}\nreplica_lease: 1h\n", true, "replica_lease: want 5s to 10m0s, got 1h0m0s", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("config.yaml", []byte(strings.Replace(webSource, "%s", "https://example.org/", 1)+tt.extra))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Store != tt.wantStoreVal || c.Postgres() != tt.postgres {
				t.Errorf("store = %q, Postgres() = %v; want %q, %v", c.Store, c.Postgres(), tt.wantStoreVal, tt.postgres)
			}
			if want := map[bool]time.Duration{true: 30 * time.Second}[strings.Contains(tt.extra, "replica_lease: 30s")]; c.ReplicaLease != want {
				t.Errorf("replica_lease = %v, want %v", c.ReplicaLease, want)
			}
		})
	}
}

// TestEnvSecrets: the text of every ${NAME} in a key that may hold
// secrets is a secret; a query value's parameter becomes secret; text in
// published or plain keys is not.
func TestEnvSecrets(t *testing.T) {
	withEnv(t, map[string]string{
		"USER": "feeduser", "PASS": "S3CRETPASS", "PT": "PATHSECRET77", "SHORT": "zq7x",
		"HOST": "news.example", "PORT": "8080", "ADMIN": "0123456789abcdef0123",
	})
	yaml := strings.Replace(webSource, "%s", `"http://${USER}:${PASS}@up.example/f/${PT}/rss?feed_token=${SHORT}&page=1"`, 1) +
		"listen: \":${PORT}\"\nadmin_token: ${ADMIN}\n"
	yaml = strings.Replace(yaml, "base_url: https://example.org/", "base_url: https://${HOST}/", 1)
	c, err := Parse("config.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Secrets()
	want := []string{"feeduser", "S3CRETPASS", "PATHSECRET77", "zq7x", "0123456789abcdef0123"}
	if !equalSets(s.Values, want) {
		t.Errorf("Values = %q, want %q", s.Values, want)
	}
	if !equalSets(s.Params, []string{"feed_token"}) {
		t.Errorf("Params = %q, want [feed_token]", s.Params)
	}
	if len(s.URLs) != 1 || !strings.Contains(s.URLs[0], "PATHSECRET77") {
		t.Errorf("URLs = %q", s.URLs)
	}
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// TestShortEnvSecrets: a short secret is accepted only where it is found
// as a whole URL part; anywhere else it is refused at load, by name.
func TestShortEnvSecrets(t *testing.T) {
	withEnv(t, map[string]string{"S": "ab3", "T": "t"})
	for _, tt := range []struct {
		name, url, extra, wantErr string
	}{
		{"user-info", `"http://${S}:${S}@e.example/f"`, "", ""},
		{"query value", `"http://e.example/f?feed_token=${S}"`, "", ""},
		{"path", `"http://e.example/f/${S}/rss"`, "", "sources[0].url: ${S} is 3 characters: a secret from the environment must have at least 8"},
		{"host", `"http://${S}.example/f"`, "", "sources[0].url: ${S} is 3 characters"},
		// admin_token has its own, longer minimum; the message is not
		// rewritten around the secret's letters.
		{"admin token", `"http://e.example/f"`, "admin_token: ${T}\n",
			"admin_token: too short: use at least 16 characters (for example from `openssl rand -hex 24`)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(strings.Replace(webSource, "%s", tt.url, 1)+tt.extra))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
