package main

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

func TestPercentilesAreNearestRankAsAnHdrHistogramCountsThem(t *testing.T) {
	r := newRecorder()
	due := time.Now().Add(-time.Hour) // every latency about an hour: then overwrite them exactly
	for range 1000 {
		r.done(due, codes.OK)
	}
	for i := range r.latencyUs {
		r.latencyUs[i] = int64(1000 - i) // 1 ms .. 1000 us, recorded in no order
	}
	r.done(due, codes.Unavailable)
	got := r.summary(due, 1000, true)
	want := map[string]any{"p50_ms": 0.5, "p90_ms": 0.9, "p99_ms": 0.99, "p999_ms": 0.999, "max_ms": 1.0, "ok": 1000, "errors": 1}
	for key, value := range want {
		if got[key] != value {
			t.Errorf("%s = %v, want %v", key, got[key], value)
		}
	}
	if ms := got["latencies_ms"].([]float64); ms[0] != 0.001 || ms[999] != 1.0 {
		t.Errorf("latencies_ms not ascending from 0.001 to 1: %v ... %v", ms[0], ms[999])
	}
	if codes := r.errorCodes(); codes != "UNAVAILABLE=1" {
		t.Errorf("error codes %q, want Python's name UNAVAILABLE=1", codes)
	}
}

func TestNoAnswersSummariseAsZeros(t *testing.T) {
	got := newRecorder().summary(time.Now(), 100, false)
	if got["p99_ms"] != 0.0 || got["max_ms"] != 0.0 || got["ok"] != 0 || got["achieved_rps"] != 0.0 {
		t.Errorf("summary of nothing: %v", got)
	}
	if _, kept := got["latencies_ms"]; kept {
		t.Error("latencies_ms without keep_latencies")
	}
}
