package collect

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the collection metrics. Create them once per process and
// share them across Collectors (a reloaded config makes a new Collector;
// Prometheus refuses to register the same metric twice).
type Metrics struct {
	collections *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	items       *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	feedItems   *prometheus.GaugeVec
}

// NewMetrics creates the metrics and registers them on reg unless it is nil.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		collections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_collections_total",
			Help: "Collections run, by source and result: success, failure, or skipped (backing off after failures).",
		}, []string{"source", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_collection_duration_seconds", Help: "How long collections take, by source.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"source"}),
		items: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_source_items", Help: "Articles currently kept for each source.",
		}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_source_last_success_timestamp_seconds", Help: "When each source last collected successfully (Unix time).",
		}, []string{"source"}),
		feedItems: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_feed_items", Help: "Items in each published feed.",
		}, []string{"feed"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.collections, m.duration, m.items, m.lastSuccess, m.feedItems} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Metrics) observe(source, result string, d time.Duration, items int, start time.Time) {
	m.collections.WithLabelValues(source, result).Inc()
	if result == "skipped" {
		return // nothing ran
	}
	if result == "success" {
		m.lastSuccess.WithLabelValues(source).Set(float64(start.Unix()))
	}
	m.duration.WithLabelValues(source).Observe(d.Seconds())
	m.items.WithLabelValues(source).Set(float64(items))
}

// FeedItems sets how many items a feed has; site.Options.FeedItems takes
// it.
func (m *Metrics) FeedItems(feed string, items int) {
	m.feedItems.WithLabelValues(feed).Set(float64(items))
}
