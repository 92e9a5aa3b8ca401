package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const (
	connectWait = 5 * time.Second
	// Fixed flow-control windows, far above what the answers in flight need: they turn off grpc-go's
	// bandwidth-delay probe, a PING (and its ack) with nearly every answer, which doubled the
	// write and read calls per call (strace: 1.9 of each a call, 1.0 without).
	streamWindow = 1 << 20
	connWindow   = 1 << 24
)

// rawCodec sends the bytes it is given and discards the answer: only its status and time count.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}
func (rawCodec) Unmarshal(mem.BufferSlice, any) error { return nil }
func (rawCodec) Name() string                         { return "proto" } // content-type application/grpc+proto

// prepared is one call ready to go: the request and a context carrying its token.
type prepared struct {
	ctx     context.Context
	request []byte
}

func prepare(calls []Call) []prepared {
	out := make([]prepared, len(calls))
	for i, c := range calls {
		md := metadata.Pairs("authorization", c.Authorization)
		out[i] = prepared{metadata.NewOutgoingContext(context.Background(), md), c.Request}
	}
	return out
}

func dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		return nil, err
	}
	// Connect before the load starts, as a client already running would be; an address nobody
	// listens on goes to TRANSIENT_FAILURE, and its calls then fail UNAVAILABLE, counted.
	conn.Connect()
	ctx, cancel := context.WithTimeout(context.Background(), connectWait)
	defer cancel()
	for s := conn.GetState(); s != connectivity.Ready && s != connectivity.TransientFailure; s = conn.GetState() {
		if !conn.WaitForStateChange(ctx, s) {
			break
		}
	}
	return conn, nil
}

// target says what call n goes out as and where: a method, connections and prepared calls.
type target struct {
	method string
	conns  []*grpc.ClientConn
	calls  []prepared
	pick   func(n int) int // which prepared call is call n
	turn   atomic.Uint64   // round robin over conns
}

// newReadTarget: a random reader per call (fixed seed, as the Python one's), replicas round robin.
func newReadTarget(addrs []string, calls []Call) (*target, error) {
	rng := rand.New(rand.NewPCG(1, 1)) // used by the one sending goroutine only
	t := &target{method: readMethod, calls: prepare(calls), pick: func(int) int { return rng.IntN(len(calls)) }}
	return t, t.dialAll(addrs)
}

// newPostTarget: the prepared posts in order (Python already spread them over the authors).
func newPostTarget(addr string, calls []Call) (*target, error) {
	t := &target{method: postMethod, calls: prepare(calls), pick: func(n int) int { return n % len(calls) }}
	return t, t.dialAll([]string{addr})
}

func (t *target) dialAll(addrs []string) error {
	for _, addr := range addrs {
		conn, err := dial(addr)
		if err != nil {
			return err
		}
		t.conns = append(t.conns, conn)
	}
	return nil
}

func (t *target) close() {
	for _, c := range t.conns {
		c.Close()
	}
}

// job is one call to send, and when it was due.
type job struct {
	call prepared
	due  time.Time
}

// load is one open-loop load: calls due at a fixed rate, each sent when due whatever earlier ones are doing.
type load struct {
	rate     float64
	target   *target
	rec      *recorder
	slots    chan struct{} // the in-flight bound
	idle     chan job      // unbuffered: a send succeeds only when a worker is waiting
	inFlight sync.WaitGroup
	start    time.Time
}

func newLoad(rate float64, t *target) *load {
	return &load{rate: rate, target: t, rec: newRecorder(), slots: make(chan struct{}, maxInFlight), idle: make(chan job)}
}

// run sends call i at start + i/rate for duration_s; never waits for an answer (only for a free slot).
func (l *load) run(durationS float64) {
	n := int(l.rate * durationS)
	l.start = time.Now()
	for i := range n {
		due := l.start.Add(time.Duration(float64(i) / l.rate * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		l.slots <- struct{}{} // may wait for a free slot: the latency still counts from due
		l.inFlight.Add(1)
		j := job{l.target.calls[l.target.pick(i)], due}
		select {
		case l.idle <- j:
		default: // every worker is waiting for an answer: one more, for good (as many as calls in flight at most)
			go l.work(j)
		}
	}
	close(l.idle)
}

// work sends calls, one at a time, until the load ends. Workers live for the whole load rather
// than a goroutine per call: a new goroutine grows its stack through grpc-go's call path on every
// call (stack copying was about a tenth of this program's CPU).
func (l *load) work(j job) {
	for ok := true; ok; j, ok = <-l.idle {
		l.call(j.call, j.due)
	}
}

func (l *load) call(c prepared, due time.Time) {
	defer l.inFlight.Done()
	t := l.target
	conn := t.conns[t.turn.Add(1)%uint64(len(t.conns))]
	ctx, cancel := context.WithTimeout(c.ctx, callTimeout)
	err := conn.Invoke(ctx, t.method, c.request, nil)
	cancel()
	l.rec.done(due, status.Code(err))
	<-l.slots
}

// drain waits until every call sent has its answer (or its error), at most limit.
func (l *load) drain(limit time.Duration) {
	done := make(chan struct{})
	go func() { l.inFlight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
	}
}
