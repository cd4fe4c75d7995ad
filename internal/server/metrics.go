package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the request counter with the children for the codes the
// server itself writes resolved up front, so counting a request is one
// atomic add rather than a label hash and map lookup.
type metrics struct {
	requests                           *prometheus.CounterVec
	c200, c304, c404, c405, c500, c503 prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_http_requests_total",
		Help: "HTTP requests served, by status code.",
	}, []string{"code"})
	if err := reg.Register(vec); err != nil {
		// A second Server on the same registry shares the counter.
		are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err)
		if !ok {
			return nil, err
		}
		existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, err
		}
		vec = existing
	}
	c := func(code int) prometheus.Counter { return vec.WithLabelValues(strconv.Itoa(code)) }
	return &metrics{
		requests: vec,
		c200:     c(http.StatusOK),
		c304:     c(http.StatusNotModified),
		c404:     c(http.StatusNotFound),
		c405:     c(http.StatusMethodNotAllowed),
		c500:     c(http.StatusInternalServerError),
		c503:     c(http.StatusServiceUnavailable),
	}, nil
}

func (m *metrics) inc(code int) {
	switch code {
	case http.StatusOK:
		m.c200.Inc()
	case http.StatusNotModified:
		m.c304.Inc()
	case http.StatusNotFound:
		m.c404.Inc()
	case http.StatusMethodNotAllowed:
		m.c405.Inc()
	case http.StatusInternalServerError:
		m.c500.Inc()
	case http.StatusServiceUnavailable:
		m.c503.Inc()
	default:
		m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	}
}

// statusRecorder remembers the status a wrapped handler writes, for
// counting responses the server does not write itself (/metrics).
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// serveMetrics serves the registry in the Prometheus exposition format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	s.promh.ServeHTTP(rec, r)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	s.metrics.inc(rec.code)
}
