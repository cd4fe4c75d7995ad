package websub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configures a Notifier; zero values take the defaults.
type Options struct {
	Client    *http.Client  // default: a client with a 30 s timeout
	RetryBase time.Duration // first retry delay, doubled each time; default 5s
	RetryMax  time.Duration // longest delay; default 10m
	Attempts  int           // pings of one change before giving up; default 8
	Logger    *slog.Logger
}

// Notifier pings a hub for each changed topic (feed URL), once per change,
// retrying with backoff, from its own goroutine (Run): Publish never
// blocks a collection.
type Notifier struct {
	hub  string
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	pending map[string]int // topic → attempts so far, for topics to ping now
	wake    chan struct{}
}

// New returns a Notifier for hub; call Run to send.
func New(hub string, opts Options) *Notifier {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 5 * time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 10 * time.Minute
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{hub: hub, opts: opts, log: opts.Logger, pending: map[string]int{}, wake: make(chan struct{}, 1)}
}

// Publish queues a ping for each topic and returns at once. A topic whose
// ping is still pending or being retried is pinged once for both changes:
// the hub fetches the feed as it is when pinged.
func (n *Notifier) Publish(topics ...string) {
	n.mu.Lock()
	for _, t := range topics {
		n.pending[t] = 0
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

type retry struct {
	topic    string
	attempts int
	at       time.Time
}

// Run sends pings until ctx is done. A failed ping is retried after
// RetryBase, doubling up to RetryMax, Attempts times in all, then logged
// and dropped (the next change pings again).
func (n *Notifier) Run(ctx context.Context) {
	var retries []retry
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		n.mu.Lock()
		batch := n.pending
		n.pending = map[string]int{}
		n.mu.Unlock()
		now := time.Now()
		// Retries that are due join the batch, unless a new change
		// already queued the topic afresh.
		keep := retries[:0]
		for _, r := range retries {
			if _, fresh := batch[r.topic]; fresh {
				continue
			}
			if !now.Before(r.at) {
				batch[r.topic] = r.attempts
				continue
			}
			keep = append(keep, r)
		}
		retries = keep
		for topic, attempts := range batch {
			if ctx.Err() != nil {
				return
			}
			err := n.ping(ctx, topic)
			attempts++
			switch {
			case err == nil:
				n.log.Debug("websub: hub notified", "url", topic)
			case ctx.Err() != nil:
				return
			case attempts >= n.opts.Attempts:
				n.log.Error("websub: giving up notifying the hub", "url", topic, "count", attempts, "error", err)
			default:
				delay := min(n.opts.RetryBase<<(attempts-1), n.opts.RetryMax)
				n.log.Warn("websub: notifying the hub failed; retrying", "url", topic, "delay", delay.String(), "error", err)
				retries = append(retries, retry{topic, attempts, time.Now().Add(delay)})
			}
		}
		wait := time.Hour
		for _, r := range retries {
			wait = min(wait, time.Until(r.at))
		}
		timer.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		case <-timer.C:
		}
	}
}

// Ping tells the hub, once, that topic changed: no retry, no queue; the
// caller keeps the ping until it succeeds (replicas keep it in the store).
func (n *Notifier) Ping(ctx context.Context, topic string) error { return n.ping(ctx, topic) }

func (n *Notifier) ping(ctx context.Context, topic string) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.hub, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("hub answered %s", resp.Status)
	}
	return nil
}
