package remote

import (
	"context"
	"sync"
)

// Pool shares one Host (and so its connections) per (host, port, user, credentials,
// trust settings, bastion chain) across every resource and data source of a provider
// process.
type Pool struct {
	mu    sync.Mutex
	hosts map[string]*Host
	Stats *Stats // nil: nothing is counted
}

func NewPool() *Pool { return &Pool{hosts: map[string]*Host{}} }

// NewCountingPool is a Pool that counts connections, sessions and bytes in Stats, for
// benchmarks and tests.
func NewCountingPool() *Pool {
	p := NewPool()
	p.Stats = &Stats{}
	return p
}

// Get returns the Host for c with a live connection.
func (p *Pool) Get(ctx context.Context, c Config) (*Host, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	key := c.poolKey()
	p.mu.Lock()
	h, ok := p.hosts[key]
	if !ok {
		h = newHost(c, p.Stats)
		p.hosts[key] = h
	}
	p.mu.Unlock()
	if err := h.Connect(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// Close ends every pooled connection: every ProxyCommand is signalled at once, and
// Close waits once for all of them to exit.
func (p *Pool) Close() {
	p.mu.Lock()
	for key, h := range p.hosts {
		h.Close()
		delete(p.hosts, key)
	}
	p.mu.Unlock()
	waitProxyCommands()
}
