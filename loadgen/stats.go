package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
)

// percentiles are the keys and ranks of feed/loadkit/stats.py's PERCENTILES.
var percentiles = []struct {
	key string
	p   float64
}{{"p50_ms", 50}, {"p90_ms", 90}, {"p99_ms", 99}, {"p999_ms", 99.9}}

// codeNames are the status code names as Python's grpc.StatusCode spells them.
var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED", codes.OutOfRange: "OUT_OF_RANGE",
	codes.Unimplemented: "UNIMPLEMENTED", codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE",
	codes.DataLoss: "DATA_LOSS", codes.Unauthenticated: "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return c.String()
}

// recorder keeps the answers of one load: every OK answer's latency from its due time (in us,
// bounded by rate * duration), the status codes, and when the last answer came.
type recorder struct {
	mu        sync.Mutex
	latencyUs []int64
	codes     map[string]int
	lastDone  time.Time
}

func newRecorder() *recorder { return &recorder{codes: map[string]int{}} }

func (r *recorder) done(due time.Time, code codes.Code) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes[codeName(code)]++
	if now.After(r.lastDone) {
		r.lastDone = now
	}
	if code == codes.OK {
		r.latencyUs = append(r.latencyUs, max(1, now.Sub(due).Round(time.Microsecond).Microseconds()))
	}
}

func round(x float64, digits int) float64 {
	scale := math.Pow(10, float64(digits))
	return math.Round(x*scale) / scale
}

// rank is the percentile p of sorted values as hdrh's get_value_at_percentile counts it (the value
// at rank round(p% of n), at least the first), here exact rather than to 3 significant digits.
func rank(sorted []int64, p float64) int64 {
	i := int(p*float64(len(sorted))/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// summary is Recorder.summary's: offered and achieved rates (OK answers from start to the last
// answer), counts, latency percentiles and max in ms; latencies_ms ascending when keep.
func (r *recorder) summary(start time.Time, offered float64, keep bool) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok, total := r.codes["OK"], 0
	for _, n := range r.codes {
		total += n
	}
	elapsed := max(r.lastDone.Sub(start).Seconds(), 1e-9)
	out := map[string]any{
		"offered_rps": offered, "achieved_rps": round(float64(ok)/elapsed, 1), "ok": ok, "errors": total - ok,
	}
	sorted := slices.Clone(r.latencyUs)
	slices.Sort(sorted)
	for _, pc := range percentiles {
		out[pc.key] = 0.0
		if len(sorted) > 0 {
			out[pc.key] = round(float64(rank(sorted, pc.p))/1000, 3)
		}
	}
	out["max_ms"] = 0.0
	if len(sorted) > 0 {
		out["max_ms"] = round(float64(sorted[len(sorted)-1])/1000, 3)
	}
	if keep {
		ms := make([]float64, len(sorted))
		for i, us := range sorted {
			ms[i] = round(float64(us)/1000, 3)
		}
		out["latencies_ms"] = ms
	}
	return out
}

// errorCodes names the errors' codes and counts ("UNAVAILABLE=300"), for stderr; "" without errors.
func (r *recorder) errorCodes() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for name, n := range r.codes {
		if name != "OK" {
			parts = append(parts, fmt.Sprintf("%s=%d", name, n))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
