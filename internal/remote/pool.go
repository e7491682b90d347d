package remote

import (
	"context"
	"sync"
)

// Pool shares one connection per (host, port, user, credentials, trust settings)
// across every resource and data source of a provider process. A connection that
// died is replaced on next use.
type Pool struct {
	mu      sync.Mutex
	entries map[string]*poolEntry
}

type poolEntry struct {
	ready  chan struct{} // closed when the dial finished
	client *Client
	err    error
}

func NewPool() *Pool { return &Pool{entries: map[string]*poolEntry{}} }

// Get returns a live connection for c, dialling once however many callers ask at once.
func (p *Pool) Get(ctx context.Context, c Config) (*Client, error) {
	key := c.poolKey()
	p.mu.Lock()
	e, ok := p.entries[key]
	if ok {
		select {
		case <-e.ready:
			if e.err != nil || !e.client.Alive() {
				ok = false // failed or dead: dial again
			}
		default: // a dial is in flight: wait for it below
		}
	}
	if !ok {
		e = &poolEntry{ready: make(chan struct{})}
		p.entries[key] = e
		go func() {
			// Dial outside the caller's context: other callers share the result.
			e.client, e.err = Dial(context.WithoutCancel(ctx), c)
			if e.err != nil {
				p.forget(key, e)
			}
			close(e.ready)
		}()
	}
	p.mu.Unlock()

	select {
	case <-e.ready:
		return e.client, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Pool) forget(key string, e *poolEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.entries[key] == e {
		delete(p.entries, key)
	}
}

// Close ends every pooled connection.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, e := range p.entries {
		select {
		case <-e.ready:
			if e.client != nil {
				_ = e.client.Close()
			}
		default:
		}
		delete(p.entries, key)
	}
}
