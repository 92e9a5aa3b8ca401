// Command feed-loadgen is `feed bench`'s load generator in Go: open-loop GetHomeTimeline (and
// optionally CreatePost) calls, a drop-in for `python -m feed.bench.loadgen`.
//
//	feed-loadgen SPEC.json    (or "-": the spec on stdin)
//
// The Python side (feed/bench/go_loadgen.py) mints the tokens and serializes the requests, so
// this program never decodes a protobuf: it sends bytes it was given and counts what comes back.
// It exists because the Python load generator costs about 250 us of CPU a call, half a core at
// 2,000 calls/s on a two-core machine: CPU the services it measures no longer get.
// It prints one JSON object on stdout with the keys the Python one prints.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

const (
	callTimeout = 5 * time.Second
	drainLimit  = callTimeout + time.Second // every call has its deadline within this
	maxInFlight = 20_000                    // above any rate times callTimeout here: the bound never shapes the load
	readMethod  = "/feed.v1.FeedService/GetHomeTimeline"
	postMethod  = "/feed.v1.PostService/CreatePost"
)

// Call is one prepared call: its authorization metadata value and its serialized request.
type Call struct {
	Authorization string `json:"authorization"`
	Request       []byte `json:"request"` // base64 in JSON
}

// Spec is the Python load generator's spec plus what Python prepared for this program.
type Spec struct {
	DurationS     float64  `json:"duration_s"`
	ReadRate      float64  `json:"read_rate"`
	ReadAddrs     []string `json:"read_addrs"`
	WriteAddr     string   `json:"write_addr"`
	PostRate      float64  `json:"post_rate"`
	CPUPids       []int    `json:"cpu_pids"`
	KeepLatencies bool     `json:"keep_latencies"`
	Reads         []Call   `json:"reads"` // one per reader, picked at random per call
	Posts         []Call   `json:"posts"` // sent in order, cycled
}

func readSpec(arg string) (*Spec, error) {
	var data []byte
	var err error
	if arg == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(arg)
	}
	if err != nil {
		return nil, err
	}
	spec := &Spec{}
	if err := json.Unmarshal(data, spec); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if spec.DurationS <= 0 || spec.ReadRate <= 0 || len(spec.ReadAddrs) == 0 || len(spec.Reads) == 0 {
		return nil, fmt.Errorf("spec: duration_s, read_rate, read_addrs and reads are required")
	}
	if spec.PostRate > 0 && (spec.WriteAddr == "" || len(spec.Posts) == 0 && int(spec.PostRate*spec.DurationS) > 0) {
		return nil, fmt.Errorf("spec: post_rate needs write_addr and posts")
	}
	return spec, nil
}

func run(spec *Spec) (map[string]any, error) {
	reads, err := newReadTarget(spec.ReadAddrs, spec.Reads)
	if err != nil {
		return nil, err
	}
	defer reads.close()
	loads := map[string]*load{"read": newLoad(spec.ReadRate, reads)}
	if spec.PostRate > 0 {
		posts, err := newPostTarget(spec.WriteAddr, spec.Posts)
		if err != nil {
			return nil, err
		}
		defer posts.close()
		loads["post"] = newLoad(spec.PostRate, posts)
	}
	serversBefore, err := totalCPU(spec.CPUPids)
	if err != nil {
		return nil, err
	}
	selfBefore := selfCPU()
	var wg sync.WaitGroup
	for _, l := range loads {
		wg.Add(1)
		go func() { defer wg.Done(); l.run(spec.DurationS) }()
	}
	wg.Wait()
	for _, l := range loads {
		l.drain(drainLimit)
	}
	// read once every answer is in, and before the summaries (sorting the latencies costs CPU)
	serversAfter, err := totalCPU(spec.CPUPids)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"cpu": map[string]float64{"servers_s": serversAfter - serversBefore, "loadgen_s": selfCPU() - selfBefore}}
	for name, l := range loads {
		out[name] = l.rec.summary(l.start, l.rate, spec.KeepLatencies)
		if codes := l.rec.errorCodes(); codes != "" {
			fmt.Fprintf(os.Stderr, "%s errors: %s\n", name, codes)
		}
	}
	return out, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: feed-loadgen SPEC.json|-")
		os.Exit(2)
	}
	// One P: the load needs a fraction of a core, and a second one only adds thread wake-ups
	// (measured: more CPU a call); a rarer GC, on a heap of a few MB. The environment still wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	spec, err := readSpec(os.Args[1])
	if err == nil {
		var out map[string]any
		if out, err = run(spec); err == nil {
			err = json.NewEncoder(os.Stdout).Encode(out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "feed-loadgen:", err)
		os.Exit(1)
	}
}
